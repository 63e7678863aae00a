import { createRecordingDriver } from '../../../test/support/recording-driver.js';
import { Config } from '../../config/schema.js';
import { createLogger } from '../../core/logger.js';
import type { Store } from '../../store/types.js';
import type { EngineDeps } from '../context.js';
import { createEventBus } from '../events.js';

/**
 * The engine's parts for one target, web on staging, that `dev` may deploy: the recording
 * driver runs it, and a deploy ends a second after it is live (shared by the worker's and the
 * engine's tests).
 */
export function oneTargetDeps(processId: string, store: Store): EngineDeps {
  return {
    config: Config.parse({
      operator: 'operator',
      environments: [{ name: 'staging', order: 1, deployers: ['dev'], verifyWindow: '1s' }],
      services: [
        {
          name: 'web',
          channel: 'C1',
          driver: { driver: 'recording' },
          environments: { staging: {} },
        },
      ],
    }),
    store,
    drivers: new Map([['recording', createRecordingDriver()]]),
    events: createEventBus(() => {}),
    log: createLogger({ level: 'silent' }),
    processId,
  };
}

/** `dev` asks for web 1.0.0 on staging, through the API. */
export const oneTargetRequest = {
  actor: 'dev',
  source: 'api' as const,
  channel: null,
  service: 'web',
  environment: 'staging',
  version: '1.0.0',
  kind: 'deploy' as const,
};
