export type { CanarySupport, DriverSchemas } from './driver-options.js';
export { configJsonSchema } from './json-schema.js';
export {
  type ConfigIssue,
  type ConfigResult,
  formatIssues,
  loadConfig,
  type ParseOptions,
  parseConfig,
} from './load.js';
export {
  driverBinding,
  environmentsInOrder,
  findEnvironment,
  findService,
  nextEnvironment,
  type ResolvedBinding,
  serviceEnvironments,
} from './lookup.js';
export { actorOf, type ChatPlatform, personKeyOf, type ResolvedPerson } from './people.js';
export {
  AutoDeployRule,
  ChannelId,
  Config,
  DriverBinding,
  Environment,
  FreezeWindow,
  Person,
  Principal,
  Service,
} from './schema.js';
