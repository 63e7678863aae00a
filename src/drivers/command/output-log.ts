import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES } from './run-files.js';

/**
 * Reading a run's output. The supervisor (supervisor-script.ts) writes it capped at the run's
 * output limit, keeping the LAST bytes: output.log, and output.log.1 (the older half) while the
 * command runs once output passed half the limit; at the end both are merged into output.log.
 */

/** Starts a cut-off tail at a line (or at least a character) boundary. */
function fromBoundary(tail: Buffer): Buffer {
  const newline = tail.indexOf(0x0a);
  if (newline !== -1 && newline < tail.length / 2) return tail.subarray(newline + 1);
  let start = 0;
  // Skip UTF-8 continuation bytes (10xxxxxx) so the file does not start mid-character.
  while (start < tail.length && ((tail[start] ?? 0) & 0xc0) === 0x80) start++;
  return tail.subarray(start);
}

async function readEnd(file: string, maxBytes: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last `maxBytes` of a run's output, across both halves while it is still running. */
export async function readOutputTail(runDir: string, maxBytes = 8192): Promise<string> {
  const latest = await readEnd(join(runDir, RUN_FILES.output), maxBytes);
  if (latest.length >= maxBytes) return fromBoundary(latest).toString('utf8');
  const older = await readEnd(join(runDir, RUN_FILES.outputPrevious), maxBytes - latest.length);
  return Buffer.concat([older, latest]).toString('utf8');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences is the point.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-_]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: other control characters are noise in chat.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** The last `count` non-empty lines, without colours, as a terminal would have shown them. */
export function lastLines(text: string, count: number): string[] {
  return text
    .split('\n')
    .map((line) => {
      // A carriage return redraws the line (progress bars): only the last drawing is visible.
      const trimmed = line.replace(/\r+$/, '');
      const drawn = trimmed.slice(trimmed.lastIndexOf('\r') + 1);
      return drawn.replace(ANSI, '').replace(CONTROL, '').trim();
    })
    .filter((line) => line !== '')
    .slice(-count);
}

/** Cuts `text` to `max` characters with an ellipsis, for chat. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
