import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES } from './run-files.js';

/**
 * The output of a run, capped at `limit` bytes on disk at every moment, keeping the LAST bytes
 * (the end of a failed deploy is what explains it). While the command runs, output goes to
 * output.log; when that reaches half the limit it becomes output.log.1 (replacing the older one)
 * and a new output.log starts, like logrotate. At the end both halves are merged into output.log,
 * with a one-line note at the top when earlier bytes were dropped. A supervisor killed mid-run
 * leaves both halves readable. Writes are synchronous: the supervisor does nothing else, and it
 * keeps stdout and stderr in arrival order.
 */
export interface OutputLog {
  write(chunk: Buffer): void;
  finish(): { bytes: number; truncated: boolean };
}

export function truncationNote(dropped: number, kept: number, limit: number): string {
  return `[slipway] output truncated: the first ${dropped} bytes were dropped, the last ${kept} are kept (outputLimit ${limit} bytes)\n`;
}

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset);
}

/** Starts a cut-off tail at a line (or at least a character) boundary. */
function fromBoundary(tail: Buffer): Buffer {
  const newline = tail.indexOf(0x0a);
  if (newline !== -1 && newline < tail.length / 2) return tail.subarray(newline + 1);
  let start = 0;
  // Skip UTF-8 continuation bytes (10xxxxxx) so the file does not start mid-character.
  while (start < tail.length && ((tail[start] ?? 0) & 0xc0) === 0x80) start++;
  return tail.subarray(start);
}

export function openOutputLog(runDir: string, limit: number): OutputLog {
  const current = join(runDir, RUN_FILES.output);
  const previous = join(runDir, RUN_FILES.outputPrevious);
  const segment = Math.floor(limit / 2);
  let fd = openSync(current, 'w', 0o600);
  let size = 0;
  let total = 0;
  let rotated = false;

  function rotate(): void {
    closeSync(fd);
    renameSync(current, previous);
    fd = openSync(current, 'w', 0o600);
    size = 0;
    rotated = true;
  }
  function append(data: Buffer): void {
    writeAll(fd, data);
    size += data.length;
  }

  return {
    write(chunk) {
      total += chunk.length;
      if (chunk.length >= 2 * segment) {
        // Only the last two segments of a huge chunk could survive: write just those.
        rotate();
        append(chunk.subarray(chunk.length - 2 * segment, chunk.length - segment));
        rotate();
        append(chunk.subarray(chunk.length - segment));
        return;
      }
      let rest = chunk;
      while (rest.length > 0) {
        if (size >= segment) rotate();
        const part = rest.subarray(0, segment - size);
        append(part);
        rest = rest.subarray(part.length);
      }
    },
    finish() {
      closeSync(fd);
      if (!rotated) return { bytes: total, truncated: false };
      const kept = Buffer.concat([readFileSync(previous), readFileSync(current)]);
      const dropped = total - kept.length;
      let merged = kept;
      if (dropped > 0) {
        // The note's own digits depend on what is kept: size it for the worst case first.
        const room = limit - truncationNote(total, limit, limit).length;
        const tail = fromBoundary(kept.subarray(Math.max(0, kept.length - room)));
        const note = truncationNote(total - tail.length, tail.length, limit);
        merged = Buffer.concat([Buffer.from(note), tail]);
      }
      const temp = `${current}.tmp`;
      const out = openSync(temp, 'w', 0o600);
      writeAll(out, merged);
      closeSync(out);
      renameSync(temp, current);
      rmSync(previous, { force: true });
      return { bytes: total, truncated: dropped > 0 };
    },
  };
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
