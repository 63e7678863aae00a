import { describe, expect, it } from 'vitest';
import { createLogger, resolveLogFormat } from './logger.js';
import { formatLine, prettyDestination } from './pretty-log.js';

describe('pretty log lines', () => {
  it('shows time, level, component, message and the other fields as key=value', () => {
    const time = new Date(2026, 0, 2, 9, 5, 7).getTime();
    const line = JSON.stringify({
      level: 40,
      time,
      pid: 1,
      hostname: 'h',
      name: 'slipway',
      component: 'chat',
      service: 'web',
      reason: 'two words',
      n: 3,
      msg: 'deploy refused',
    });
    expect(formatLine(line)).toBe(
      '09:05:07 WARN  [chat] deploy refused  service=web  reason="two words"  n=3',
    );
  });

  it("puts an error's stack under its line, and passes a line that is not JSON through", () => {
    const line = JSON.stringify({
      level: 50,
      time: 0,
      msg: 'failed',
      err: { stack: 'Error: x\n    at f' },
    });
    expect(formatLine(line).split('\n').slice(1)).toEqual(['    Error: x', '        at f']);
    expect(formatLine('plain text\n')).toBe('plain text');
  });

  it('redacts as the JSON logger does: it formats what pino wrote', () => {
    let out = '';
    const log = createLogger({}, prettyDestination({ write: (t: string) => (out += t) }));
    log.info({ token: 'xoxb-secret', service: 'web' }, 'hello');
    expect(out).toContain('hello  token=[redacted]  service=web');
    expect(out).not.toContain('xoxb-secret');
  });

  it('is pretty at a terminal and JSON elsewhere, unless SLIPWAY_LOG_FORMAT says', () => {
    expect(resolveLogFormat(undefined, { isTTY: true })).toBe('pretty');
    expect(resolveLogFormat(undefined, { isTTY: false })).toBe('json');
    expect(resolveLogFormat(undefined, {})).toBe('json');
    expect(resolveLogFormat('json', { isTTY: true })).toBe('json');
    expect(resolveLogFormat('pretty', { isTTY: false })).toBe('pretty');
  });
});
