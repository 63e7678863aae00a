import type { Logger } from 'pino';
import { formatDuration } from '../../core/duration.js';
import { RetryableError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import type { DriverOutcome } from '../types.js';
import type { JenkinsClient } from './client.js';
import { ConsoleTail } from './console.js';
import { buildLabel, finishedOutcome, queuedText, runningText } from './outcome.js';
import type { Build } from './schema.js';

/** The stored handle, as far as following needs it. */
export interface Followed {
  job: string;
  queueItem?: number | undefined;
  build?: number | undefined;
  /** Epoch ms by which the build must have finished; restarts keep the same window. */
  deadline: number;
}

export interface FollowRequest {
  api: JenkinsClient;
  followed: Followed;
  pollMs: number;
  timeoutMs: number;
  signal: AbortSignal;
  progress(text: string): void;
  log: Logger;
}

/** Where a queue item went. */
type Left =
  | { kind: 'build'; number: number }
  | { kind: 'cancelled'; why: string }
  | { kind: 'gone' }
  | { kind: 'timed-out'; why: string | null };

/**
 * Follows the queue item to its build and the build to its result, reading the console as it
 * grows; any process may call this again with the same handle after a restart.
 */
export async function followBuild(req: FollowRequest): Promise<DriverOutcome> {
  const { followed } = req;
  let number = followed.build;
  if (number === undefined) {
    if (followed.queueItem === undefined)
      throw new Error('a jenkins handle names no queue item and no build');
    const left = await leaveQueue(req, followed.queueItem);
    switch (left.kind) {
      case 'cancelled':
        return {
          ok: false,
          changed: false,
          reason: `Jenkins queue item ${followed.queueItem} of ${followed.job} was cancelled before it started a build${left.why ? ` (it was waiting: ${left.why})` : ''}`,
        };
      case 'gone':
        return {
          ok: false,
          changed: false,
          reason: `Jenkins forgot queue item ${followed.queueItem} of ${followed.job}, and none of the job's recent builds came from it: it was cancelled, or Jenkins restarted before it started; look at the job's history before deploying again`,
        };
      case 'timed-out':
        return {
          ok: false,
          changed: false,
          reason: `${followed.job} waited in Jenkins' queue longer than ${formatDuration(req.timeoutMs)}${left.why ? ` (${left.why})` : ''}; Slipway cancelled its queue item`,
        };
      case 'build':
        number = left.number;
    }
  }
  req.log.info({ job: followed.job, build: number }, 'following jenkins build');
  return followRunning(req, number);
}

/** Reads the queue item until it started a build, was cancelled, or the deadline passed. */
async function leaveQueue(req: FollowRequest, id: number): Promise<Left> {
  const { api, followed, signal } = req;
  let reported = '';
  let why: string | null = null;
  for (;;) {
    try {
      const item = await api.queueItem(id);
      if (item === null) {
        const build = (await api.recentBuilds(followed.job)).find((b) => b.queueId === id);
        return build ? { kind: 'build', number: build.number } : { kind: 'gone' };
      }
      if (item.executable) return { kind: 'build', number: item.executable.number };
      if (item.cancelled) return { kind: 'cancelled', why: why ?? '' };
      why = item.why ?? why;
      // A LeftItem without its executable yet: an executor is starting the build.
      const text =
        item.cancelled === false ? 'Jenkins is starting the build' : queuedText(item.why);
      if (text !== reported) req.progress(text);
      reported = text;
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      if (Date.now() >= followed.deadline) throw err;
      req.progress(`waiting for Jenkins: ${err.message}`);
    }
    if (Date.now() >= followed.deadline) {
      const answer = await api.cancelQueueItem(id);
      if (answer === 'cancelled') return { kind: 'timed-out', why };
      // It started meanwhile: follow it, and the deadline stops it at once.
      const item = await api.queueItem(id);
      if (item?.executable) return { kind: 'build', number: item.executable.number };
      return { kind: 'timed-out', why };
    }
    await sleep(Math.min(req.pollMs, Math.max(0, followed.deadline - Date.now())), signal);
    signal.throwIfAborted();
  }
}

/** Reads the build and its console every pollMs until it has a result. */
async function followRunning(req: FollowRequest, number: number): Promise<DriverOutcome> {
  const { api, followed, signal } = req;
  const tail = new ConsoleTail();
  let reported = '';
  let latest: Build | null = null;
  for (;;) {
    try {
      const build = await api.build(followed.job, number);
      latest = build;
      if (!build.building && build.result !== null) {
        await drain(api, followed.job, number, tail);
        return finishedOutcome(followed.job, build, tail.lastLine());
      }
      await readMore(api, followed.job, number, tail);
      const text = runningText(build, tail.lastLine());
      if (text !== reported) req.progress(text);
      reported = text;
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      if (Date.now() >= followed.deadline) throw err;
      req.progress(`waiting for Jenkins: ${err.message}`);
    }
    if (Date.now() >= followed.deadline) return timedOut(req, number, latest, reported);
    await sleep(Math.min(req.pollMs, Math.max(0, followed.deadline - Date.now())), signal);
    signal.throwIfAborted();
  }
}

async function readMore(api: JenkinsClient, job: string, number: number, tail: ConsoleTail) {
  const chunk = await api.console(job, number, tail.offset);
  tail.append(chunk);
  return chunk;
}

/** Reads the console to its end once the build finished (a few reads at most). */
async function drain(api: JenkinsClient, job: string, number: number, tail: ConsoleTail) {
  try {
    for (let i = 0; i < 5; i++) {
      const before = tail.offset;
      const chunk = await readMore(api, job, number, tail);
      if (!chunk.more || chunk.size === before) return;
    }
  } catch (err) {
    // The result is known; a console that cannot be read only makes the message shorter.
    if (!(err instanceof RetryableError)) throw err;
  }
}

async function timedOut(
  req: FollowRequest,
  number: number,
  latest: Build | null,
  lastSeen: string,
): Promise<DriverOutcome> {
  const { api, followed } = req;
  const label = buildLabel(followed.job, number);
  let stopped: string;
  try {
    await api.stop(followed.job, number);
    stopped = 'Slipway stopped it';
  } catch (err) {
    req.signal.throwIfAborted();
    stopped = `stopping it failed too: ${err instanceof Error ? err.message : String(err)}`;
  }
  const seen = lastSeen ? `, last seen ${lastSeen}` : '';
  return {
    ok: false,
    changed: true,
    reason: `${label} did not finish within ${formatDuration(req.timeoutMs)}${seen}; ${stopped}${latest ? ` (${latest.url})` : ''}`,
  };
}
