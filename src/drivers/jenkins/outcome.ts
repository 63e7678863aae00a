import { formatDuration } from '../../core/duration.js';
import type { DriverOutcome } from '../types.js';
import type { Build } from './schema.js';

/** A build as people name it: "Jenkins build #42 of team/deploy-web". */
export function buildLabel(job: string, number: number): string {
  return `Jenkins build #${number} of ${job}`;
}

/**
 * What a finished build means for the deployment (Run.getResult: SUCCESS, UNSTABLE, FAILURE,
 * NOT_BUILT, ABORTED). Only SUCCESS succeeds: an unstable deploy job is one whose checks failed.
 * NOT_BUILT ran nothing; the others may have changed the target, so the engine may roll back.
 * `last` is the console's last meaningful line, the likeliest cause of a failure.
 */
export function finishedOutcome(
  job: string,
  build: Build,
  last: string | undefined,
): DriverOutcome {
  const label = buildLabel(job, build.number);
  const took = build.duration ? ` in ${formatDuration(build.duration)}` : '';
  const said = last ? `: ${last}` : '';
  const where = ` (${build.url})`;
  switch (build.result) {
    case 'SUCCESS':
      return {
        ok: true,
        summary: `${label} succeeded${took}`,
        link: { label: `Jenkins build #${build.number}`, url: build.url },
      };
    case 'ABORTED':
      return { ok: false, changed: true, reason: `${label} was aborted${took}${said}${where}` };
    case 'NOT_BUILT':
      return {
        ok: false,
        changed: false,
        reason: `${label} did not build anything (NOT_BUILT)${said}${where}`,
      };
    case 'UNSTABLE':
      return { ok: false, changed: true, reason: `${label} ended UNSTABLE${took}${said}${where}` };
    case 'FAILURE':
      return { ok: false, changed: true, reason: `${label} failed${took}${said}${where}` };
    default:
      return {
        ok: false,
        changed: true,
        reason: `${label} ended ${build.result ?? 'without a result'}${took}${said}${where}`,
      };
  }
}

/** Progress for the chat message: "build #42 running, 1m30s: + kubectl rollout status …". */
export function runningText(build: Build, last: string | undefined, now = Date.now()): string {
  const since = build.timestamp ? Math.max(0, now - build.timestamp) : 0;
  const elapsed = since >= 1000 ? `, ${formatDuration(since)}` : '';
  return `build #${build.number} running${elapsed}${last ? `: ${last}` : ''}`;
}

/** Progress while the build waits in Jenkins' queue: "queued in Jenkins: Waiting for next available executor". */
export function queuedText(why: string | null | undefined): string {
  return why ? `queued in Jenkins: ${why}` : 'queued in Jenkins';
}
