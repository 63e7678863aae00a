import { expect } from 'vitest';
import { type Harness, requestWeb } from '../../../../test/support/engine-harness.js';
import type { Deployment } from '../../../core/deployment.js';
import { createLogger } from '../../../core/logger.js';
import { createDrivers } from '../../../drivers/index.js';
import type { DeployDriver } from '../../../drivers/types.js';
import type { EngineDeps } from '../../../engine/context.js';
import type { EngineEvent } from '../../../engine/events.js';

/** Shared by the review engine tests (engine.test.ts, engine-races.test.ts). */

const log = createLogger({ level: 'silent' });

/** A build of web that succeeded on `environment`, deployed by `actor`. */
export async function build(
  harness: Harness,
  environment: string,
  version = '1.4.2',
  actor = 'U-DEV1',
): Promise<Deployment> {
  const asked = await requestWeb(harness.app, { actor, environment, version });
  const d = await harness.waitFinal(asked.id);
  expect(d.state).toBe('succeeded');
  return d;
}

/** A click in the clicker's direct message with Slipway. */
export const dm = (actor: string) => ({ actor, channel: `D-${actor}`, source: 'chat' as const });

export function events(harness: Harness): EngineEvent[] {
  const seen: EngineEvent[] = [];
  harness.app.engine.events.on((e) => {
    seen.push(e);
  });
  return seen;
}

/**
 * The harness's engine parts, for calling the review functions directly; the command driver
 * gets the extra members asked for (it has no `teardown` of its own).
 */
export function deps(harness: Harness, extra: Partial<DeployDriver<unknown>> = {}): EngineDeps {
  const drivers = createDrivers({ dataDir: harness.dir, env: {}, log });
  const command = drivers.get('command');
  if (command) drivers.set('command', { ...command, ...extra });
  return {
    config: harness.app.config,
    store: harness.app.store,
    drivers,
    events: harness.app.engine.events,
    log,
    processId: 'review-test',
  };
}
