import type { BuildOutcome, Declined, Placed } from './deploy.js';
import type { Build } from './types.js';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The HTTP answer to a build: 202 when something new was placed (the engine runs it later; the
 * refusals for other environments come along), 409 `replayed` when the body was accepted
 * before and nothing new was placed, and when every environment refused, the refusal's status.
 */
export function answerFor(build: Build, outcome: BuildOutcome): Answer {
  const { placed, declined } = outcome;
  const about = {
    service: build.service,
    version: build.version,
    ref: build.ref,
  };
  if (outcome.environments.length === 0) {
    return {
      status: 202,
      body: {
        ...about,
        deployments: [],
        message: `no autoDeploy rule matches ${build.ref.type} ${build.ref.name}; nothing deployed`,
      },
    };
  }
  const fresh = placed.filter((p) => !p.replayed);
  const body = { ...about, deployments: placed, refused: declined };
  if (fresh.length > 0) {
    return { status: 202, body: { ...body, message: summary(build, placed, declined) } };
  }
  if (placed.length > 0) {
    return {
      status: 409,
      body: {
        ...body,
        error: 'replayed',
        message: `This build was already accepted: it created ${placed.map(describe).join(', ')}. Nothing new was deployed; sign a new body (with a fresh timestamp) to deploy again.`,
      },
    };
  }
  const first = declined[0] as Declined;
  return {
    status: statusOf(first.code),
    body: {
      ...body,
      error: first.code,
      message: declined.map((d) => `${d.environment}: ${d.reason}`).join(' '),
    },
  };
}

/** Policy says no (rights, freeze, lock): 403. The target or config is in the way: 409. */
export function statusOf(code: string): number {
  switch (code) {
    case 'busy':
    case 'not_deployable_here':
    case 'unknown_environment':
      return 409;
    case 'invalid_version':
    case 'invalid_ref':
      return 400;
    case 'unknown_service':
      return 404;
    default:
      return 403;
  }
}

function summary(build: Build, placed: Placed[], declined: Declined[]): string {
  const parts = [`${build.service} ${build.version} (${build.ref.type} ${build.ref.name}):`];
  parts.push(`${placed.map(describe).join(', ')}.`);
  if (declined.length > 0) {
    parts.push(`Refused: ${declined.map((d) => `${d.environment}: ${d.reason}`).join(' ')}`);
  }
  return parts.join(' ');
}

function describe(p: Placed): string {
  return `${p.environment} ${p.id} (${p.state}${p.replayed ? ', accepted before' : ''})`;
}
