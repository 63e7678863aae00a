import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('redacts secrets by configuration wherever they sit', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info' }, stream);
    log.info(
      {
        token: 'xoxb-123',
        headers: { authorization: 'Bearer abc' },
        env: { SLACK_BOT_TOKEN: 'xoxb-456' },
        service: 'web',
      },
      'request',
    );
    const line = lines.join('');
    expect(line).not.toContain('xoxb-123');
    expect(line).not.toContain('Bearer abc');
    expect(line).not.toContain('xoxb-456');
    expect(line).toContain('"service":"web"');
    expect(line).toContain('[redacted]');
  });

  it('hides the password of a database URL', () => {
    expect(redactUrl('postgres://slip:hunter2@db:5432/slipway')).toBe(
      'postgres://slip:***@db:5432/slipway',
    );
    expect(redactUrl('postgres://db/slipway')).toBe('postgres://db/slipway');
  });
});
