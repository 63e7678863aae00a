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
export {
  AutoDeployRule,
  Config,
  DriverBinding,
  Environment,
  FreezeWindow,
  Principal,
  Service,
} from './schema.js';
