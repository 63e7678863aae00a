import type { Command } from '../commands/types.js';
import type { Deployment, Lock, RequestSource } from '../core/deployment.js';
import type { RecordGate } from '../store/types.js';
import type { Refusal } from './context.js';
import type { Engine } from './index.js';
import type { TargetStatus } from './queries.js';
import type { DeployAccepted } from './requests.js';

/** Who is asking, and from where: the same for chat, CLI and API. */
export interface Caller {
  actor: string;
  source: RequestSource;
  channel: string | null;
  idempotencyKey?: string | null;
  correlationId?: string;
  /** Deploys and rollbacks it probably did not mean come back as questions (requests.ts). */
  askFirst?: boolean;
  /** Lets a deploy or rollback be taken back until it is recorded (requests.ts). */
  gate?: RecordGate;
}

/** The outcome of a command, for any front end to render (chat blocks, CLI text, JSON). */
export type CommandResult =
  | { kind: 'deploy' | 'rollback'; result: DeployAccepted | Refusal }
  | { kind: 'lock'; result: { ok: true; lock: Lock; replaced: Lock | null } | Refusal }
  | { kind: 'unlock'; result: { ok: true; released: Lock } | Refusal }
  | { kind: 'status'; targets: TargetStatus[] }
  | { kind: 'history'; deployments: Deployment[] }
  | { kind: 'help'; topic: Command['kind'] | null };

/** Runs a parsed command through the engine (and so through policy) for one caller. */
export async function executeCommand(
  engine: Engine,
  command: Command,
  caller: Caller,
): Promise<CommandResult> {
  const { gate, ...who } = caller;
  switch (command.kind) {
    case 'deploy':
    case 'rollback':
      return {
        kind: command.kind,
        result: await engine.request({
          ...who,
          ...(gate ? { gate } : {}),
          kind: command.kind,
          service: command.service,
          environment: command.environment,
          version: command.version,
          force: command.kind === 'deploy' ? command.force : false,
          reason: command.reason,
        }),
      };
    case 'lock':
      return {
        kind: 'lock',
        result: await engine.lock({
          ...who,
          environment: command.environment,
          service: command.service,
          durationMs: command.durationMs,
          reason: command.reason,
          force: command.force,
        }),
      };
    case 'unlock':
      return {
        kind: 'unlock',
        result: await engine.unlock({
          ...who,
          environment: command.environment,
          service: command.service,
          force: command.force,
        }),
      };
    case 'status':
      return { kind: 'status', targets: await engine.status(command.service) };
    case 'history':
      return {
        kind: 'history',
        deployments: await engine.history({
          service: command.service,
          ...(command.environment ? { environment: command.environment } : {}),
          limit: command.limit,
        }),
      };
    case 'help':
      return { kind: 'help', topic: command.topic };
  }
}
