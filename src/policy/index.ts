export {
  type Action,
  type Decision,
  decide,
  type PolicyRequest,
  type RefusalCode,
} from './decide.js';
export { type ActiveFreeze, activeFreeze } from './freeze.js';
export { coveringLocks, mayBreakLock } from './locks.js';
export { isAdmin, isMember, isOwner, membersOf } from './principals.js';
export { mayDeploy, mayOverrideFreeze } from './rights.js';
