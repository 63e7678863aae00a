import { formatDuration } from '../core/duration.js';
import { readsAsName } from './tokenize.js';
import type { Command } from './types.js';

const DEFAULT_HISTORY = 10;

/**
 * A command as text that parses back to the same command: for echoing what was understood
 * ("Deploying: deploy web 1.4.2 to staging") and for tests. Output is Slack-escaped message
 * text, the form parseCommand reads, so a reason with `<`, `>` or `&` survives the round trip.
 */
export function formatCommand(cmd: Command): string {
  switch (cmd.kind) {
    case 'deploy':
      return line(
        [
          `deploy${bang(cmd.force)}`,
          cmd.service,
          version(cmd.version),
          clause('to', cmd.environment),
        ],
        cmd.reason,
      );
    case 'rollback':
      return line(
        [
          'rollback',
          cmd.service,
          clause('in', cmd.environment),
          clause('to', version(cmd.version)),
        ],
        cmd.reason,
      );
    case 'lock':
      return line(
        [
          `lock${bang(cmd.force)}`,
          cmd.environment,
          cmd.service,
          clause('for', duration(cmd.durationMs)),
        ],
        cmd.reason,
      );
    case 'unlock':
      return line([`unlock${bang(cmd.force)}`, cmd.environment, cmd.service], null);
    case 'status':
      return line(['status', cmd.service], null);
    case 'history':
      return line(
        [
          'history',
          cmd.service,
          clause('in', cmd.environment),
          cmd.limit === DEFAULT_HISTORY ? null : String(cmd.limit),
        ],
        null,
      );
    case 'help':
      return line(['help', cmd.topic], null);
  }
}

function line(words: readonly (string | null)[], reason: string | null): string {
  const text = words.filter((w) => w !== null).join(' ');
  // Always after " -- ": a lock's reason could otherwise be read as its service or duration.
  return reason === null ? text : `${text} -- ${escapeText(reason)}`;
}

function bang(force: boolean): string {
  return force ? '!' : '';
}

function clause(keyword: string, value: string | null): string | null {
  return value === null ? null : `${keyword} ${value}`;
}

/** In backticks when it could be read as a keyword or a name ("to", "staging", "main"). */
function version(value: string | null): string | null {
  if (value === null) return null;
  return readsAsName(value) ? `\`${value}\`` : value;
}

function duration(ms: number | null): string | null {
  if (ms === null) return null;
  // formatDuration rounds to seconds; a lock set in milliseconds keeps them.
  return ms % 1000 === 0 ? formatDuration(ms) : `${ms}ms`;
}

/** Slack's escaping (api.slack.com/reference/surfaces/formatting#escaping). */
function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
