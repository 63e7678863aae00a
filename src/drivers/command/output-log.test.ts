import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clip, lastLines, readOutputTail } from './output-log.js';

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

describe('reading the output of a run', () => {
  it('reads the end across both halves while the command runs', async () => {
    await writeFile(join(dir, 'output.log.1'), lines(1, 50));
    await writeFile(join(dir, 'output.log'), lines(51, 60));
    expect(await readOutputTail(dir, 8192)).toBe(lines(1, 60));
    // Only the newer half when it alone fills the request, from a line boundary.
    const tail = await readOutputTail(dir, 40);
    expect(tail.endsWith('line 60\n')).toBe(true);
    expect(tail.startsWith('line ')).toBe(true);
    expect(await readOutputTail(join(dir, 'none'))).toBe('');
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
