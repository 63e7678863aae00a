import type { BadVersion } from '../core/bad-version.js';
import { formatTime } from './text.js';
import { allow, type Decision, refuse, type Target } from './types.js';

/**
 * A version a rollback took off this target. Builds and alert automation (source `webhook`)
 * never put it back, `deploy!` or not: they would undo the rollback as soon as CI sends the
 * build again. A person puts it back only with `deploy!` and a reason, which the engine records
 * as it clears the mark; the note says so to everyone.
 */
export function checkBadVersion({ request, service, environment }: Target): Decision | null {
  const mark = request.badVersion;
  if (!mark || !service || !environment) return null;
  const what = describeMark(mark);
  const command = `deploy! ${service.name} ${mark.version} to ${environment.name} -- <reason>`;
  if (request.source === 'webhook') {
    return refuse(
      'bad_version',
      `${what}. Builds and alerts never deploy it there again; a person who has checked it can, with ${command}.`,
    );
  }
  if (!request.force) {
    return refuse(
      'bad_version',
      `${what}. If it is safe now, deploy it anyway and say why: ${command}.`,
    );
  }
  const reason = request.reason?.trim() ?? '';
  if (reason === '') {
    return refuse(
      'reason_required',
      `${what}. Deploying it again needs a reason everyone can read: ${command}.`,
    );
  }
  return allow([
    `${what}; deployed again by ${request.actor} with deploy! ("${reason}"), which clears the mark.`,
  ]);
}

/** `web 1.5.0 was rolled back in production by U2 on Fri 1 Mar 14:02 UTC: <why>` */
export function describeMark(mark: BadVersion): string {
  const by = mark.markedBy === 'slipway' ? 'automatically' : `by ${mark.markedBy}`;
  return `${mark.service} ${mark.version} was rolled back in ${mark.environment} ${by} on ${formatTime(mark.markedAt)}: ${mark.reason}`;
}
