import { formatDuration } from '../../core/duration.js';
import type { DriverOutcome } from '../types.js';
import { clip, lastLines } from './output-log.js';
import type { RunState } from './run-dir.js';

/** A run state after which nothing more will happen. */
export type FinalRunState = Extract<
  RunState,
  { kind: 'missing' } | { kind: 'abandoned' } | { kind: 'finished' } | { kind: 'lost' }
>;

export interface OutcomeContext {
  /** Last part of the output (readOutputTail). */
  output: string;
  /** The run's output.log, named in messages so a person can read the rest. */
  logFile: string;
  /** The run's timeout, when known, for the timeout message. */
  timeoutMs: number | null;
}

const SUMMARY_CHARS = 200;

/**
 * Turns how a run ended into the engine's outcome. `changed` is false only when the command
 * certainly never ran; a lost supervisor means the outcome is unknown, and the command is never
 * run again to find out.
 */
export function outcomeOf(state: FinalRunState, context: OutcomeContext): DriverOutcome {
  // One line, the cause first: a failing command's last words are usually why it failed
  // ("health check failed … 500"), while its first are what it set out to do. The whole
  // output stays in the run's log (`slipway logs`); a multi-line outcome would break every
  // table and headline that shows it.
  const last = lastLines(context.output, 1)[0];
  const withOutput = (how: string): string =>
    last === undefined ? how : `${clip(last, SUMMARY_CHARS)} (${how})`;
  // Stopped from outside: that is the cause, and the last line says how far it got.
  const thenLast = (cause: string): string =>
    last === undefined ? cause : `${cause}; last output: ${clip(last, SUMMARY_CHARS)}`;
  switch (state.kind) {
    case 'missing':
      return {
        ok: false,
        changed: true,
        reason: `outcome unknown: the run's directory (${context.logFile}) is gone, so Slipway cannot tell what the command did; check the target before deploying again`,
      };
    case 'abandoned':
      return { ok: false, changed: false, reason: `the command never started: ${state.reason}` };
    case 'lost':
      return {
        ok: false,
        changed: true,
        reason: `outcome unknown: the supervisor (pid ${state.supervisor.pid}) stopped without recording how the command ended (host restart, or it was killed); the command was not run again. Check the target and the log at ${context.logFile} before deploying again`,
      };
    case 'finished':
      break;
  }
  const result = state.result;
  if (!result.started) {
    return result.cancelled
      ? { ok: false, changed: false, reason: 'cancelled before the command started' }
      : { ok: false, changed: false, reason: `could not start the command: ${result.error}` };
  }
  if (result.timedOut) {
    const limit = context.timeoutMs === null ? '' : ` after ${formatDuration(context.timeoutMs)}`;
    return { ok: false, changed: true, reason: thenLast(`timed out${limit} and was stopped`) };
  }
  if (result.cancelled) {
    return {
      ok: false,
      changed: true,
      reason: thenLast(`cancelled after ${formatDuration(result.durationMs)}`),
    };
  }
  if (result.exitCode === 0) {
    const summary = last ?? `finished in ${formatDuration(result.durationMs)} with no output`;
    return { ok: true, summary: clip(summary, SUMMARY_CHARS) };
  }
  const how = result.exitCode !== null ? `exit ${result.exitCode}` : `killed by ${result.signal}`;
  return { ok: false, changed: true, reason: withOutput(how) };
}
