import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clip, lastLines, openOutputLog, readOutputTail } from './output-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-output-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function lines(from: number, to: number): string {
  let text = '';
  for (let i = from; i <= to; i++) text += `line ${i}\n`;
  return text;
}

describe('capped output log', () => {
  it('keeps everything when the output fits, even across a rotation', async () => {
    const log = openOutputLog(dir, 1024);
    const text = lines(1, 80); // ~700 bytes: more than half the limit, less than all of it
    for (const chunk of text.match(/[\s\S]{1,50}/g) ?? []) log.write(Buffer.from(chunk));
    expect(log.finish()).toEqual({ bytes: text.length, truncated: false });
    expect(await readFile(join(dir, 'output.log'), 'utf8')).toBe(text);
    expect(existsSync(join(dir, 'output.log.1'))).toBe(false);
  });

  it('never holds more than the limit on disk while running, and keeps the last bytes at the end', async () => {
    const log = openOutputLog(dir, 1024);
    for (let i = 1; i <= 500; i++) {
      log.write(Buffer.from(`line ${i}\n`));
      const sizes = await Promise.all(
        ['output.log', 'output.log.1'].map((name) =>
          stat(join(dir, name)).then(
            (s) => s.size,
            () => 0,
          ),
        ),
      );
      expect(sizes.reduce((sum, size) => sum + size, 0)).toBeLessThanOrEqual(1024);
    }
    expect((await readOutputTail(dir, 200)).endsWith('line 500\n')).toBe(true);
    expect(log.finish()).toEqual({ bytes: lines(1, 500).length, truncated: true });

    const kept = await readFile(join(dir, 'output.log'), 'utf8');
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(1024);
    const [note, ...rest] = kept.split('\n');
    expect(note).toMatch(
      /^\[slipway\] output truncated: the first (\d+) bytes were dropped, the last (\d+) are kept \(outputLimit 1024 bytes\)$/,
    );
    expect(rest[0]).toMatch(/^line \d+$/); // starts on a whole line
    expect(kept.endsWith('line 499\nline 500\n')).toBe(true);
    const [, dropped, keptBytes] = note?.match(/first (\d+) .* last (\d+)/) ?? [];
    expect(Number(dropped) + Number(keptBytes)).toBe(lines(1, 500).length);
  });

  it('handles one chunk larger than the whole limit', async () => {
    const log = openOutputLog(dir, 1024);
    const text = lines(1, 1000);
    log.write(Buffer.from(text));
    expect(log.finish().truncated).toBe(true);
    const kept = await readFile(join(dir, 'output.log'), 'utf8');
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(1024);
    expect(kept.endsWith('line 1000\n')).toBe(true);
  });
});

describe('output text for chat', () => {
  it('takes the last non-empty lines as a terminal shows them', () => {
    const text = 'one\r\n\u001b[32mtwo\u001b[0m\n\nprogress 10%\rprogress 100%\n  \n';
    expect(lastLines(text, 2)).toEqual(['two', 'progress 100%']);
    expect(lastLines(text, 10)).toEqual(['one', 'two', 'progress 100%']);
  });

  it('clips long text', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abc', 4)).toBe('abc');
  });
});
