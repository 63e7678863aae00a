import { validateVersion } from '../../commands/version.js';
import type { Config, Service } from '../../config/schema.js';
import { resolveService } from '../../policy/decide.js';
import { checkFreshness, parseTimestamp } from './freshness.js';
import { parseImage, sameRepository } from './image.js';
import { BuildPayload } from './schema.js';
import { type Build, type HookRefusal, hookRefusal } from './types.js';

/**
 * Turns the fields CI sent into a Build, or says what is wrong with them: the schema first
 * (every problem at once), then the timestamp, the service, and the version and ref, which must
 * be safe to hand to any driver (src/commands/version.ts).
 */
export function resolveBuild(
  fields: Record<string, unknown>,
  config: Config,
  now: Date,
): Build | HookRefusal {
  const parsed = BuildPayload.safeParse(fields);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message);
    return hookRefusal(400, 'invalid_build', `${problems.join('; ')}.`);
  }
  const payload = parsed.data;
  if (payload.timestamp !== undefined) {
    const stale = checkFreshness(payload.timestamp, now);
    if (stale) return stale;
  }
  const committedAt =
    payload.committedAt === undefined ? null : parseTimestamp(payload.committedAt);
  if (payload.committedAt !== undefined && committedAt === null) {
    return hookRefusal(
      400,
      'invalid_commit_time',
      `committedAt ${JSON.stringify(payload.committedAt)} is neither unix seconds nor an ISO 8601 time: send the commit's time, $(git log -1 --format=%ct).`,
    );
  }
  const service = resolveService(config, payload.service ?? payload.project ?? '');
  if ('allowed' in service) {
    const refusal = service.allowed ? null : service;
    return hookRefusal(404, 'unknown_service', refusal?.reason ?? '', refusal?.suggestion ?? null);
  }

  const version = versionOf(payload, service);
  if (typeof version !== 'string') return version;
  const versionProblem = validateVersion(version);
  if (versionProblem) return hookRefusal(400, 'invalid_version', versionProblem);
  const refProblem = validateVersion(payload.target);
  if (refProblem) {
    const message = refProblem.startsWith('Version ')
      ? `${capitalize(payload.type)}${refProblem.slice('Version'.length)}`
      : `The ${payload.type} name is refused. ${refProblem}`;
    return hookRefusal(400, 'invalid_ref', message);
  }
  return {
    service: service.name,
    version,
    ref: { type: payload.type, name: payload.target },
    commit: payload.commit?.toLowerCase() ?? null,
    committedAt,
    url: payload.url ?? null,
  };
}

/** The tag of `image`, or `version`; when both are given they must agree. */
function versionOf(payload: BuildPayload, service: Service): string | HookRefusal {
  if (payload.image === undefined) return payload.version ?? '';
  const image = parseImage(payload.image);
  if (typeof image === 'string') return hookRefusal(400, 'invalid_image', image);
  if (service.image && !sameRepository(image.repository, service.image)) {
    return hookRefusal(
      400,
      'image_mismatch',
      `image ${payload.image} is not ${service.name}'s: ${service.name} deploys ${service.image} (services → ${service.name} → image in slipway.yaml). Send the image this pipeline built for ${service.name}, or the right service.`,
    );
  }
  if (image.tag !== null && payload.version !== undefined && image.tag !== payload.version) {
    return hookRefusal(
      400,
      'version_mismatch',
      `image ${payload.image} has tag ${image.tag} but version is ${payload.version}: send one of them, or make them agree.`,
    );
  }
  const version = image.tag ?? payload.version;
  if (version === undefined) {
    return hookRefusal(
      400,
      'invalid_image',
      `image ${payload.image} has no tag: send repository:tag (e.g. ${image.repository}:3f2a9c1), or a version field.`,
    );
  }
  return version;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
