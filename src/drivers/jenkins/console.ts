import type { JenkinsClient } from './client.js';

/** Console kept for `slipway logs` and the dashboard: the last part of a longer one. */
export const OUTPUT_LIMIT = 1024 * 1024;
/** Console kept while following a build, to name its last line. */
const TAIL_CHARS = 8192;
/** Reads of one console for `logs`: Jenkins sends at most 10,000 lines a read while it runs. */
const MAX_READS = 20;

/**
 * Follows a build's console as it grows (progressiveText with the offset Jenkins gave last), keeping
 * only its end. Offsets are bytes; a read that ends inside a character is decoded with the next.
 */
export class ConsoleTail {
  offset = 0;
  private tail = '';
  private decoder = new TextDecoder();

  append(chunk: { bytes: Uint8Array; size: number }): void {
    // Jenkins starts again from 0 when asked past the end (a log rotated or replaced).
    if (chunk.size < this.offset) this.reset();
    this.tail = (this.tail + this.decoder.decode(chunk.bytes, { stream: true })).slice(-TAIL_CHARS);
    this.offset = chunk.size;
  }

  /** The last line worth showing a person, or undefined when there is none yet. */
  lastLine(): string | undefined {
    return lastMeaningfulLine(this.tail);
  }

  private reset(): void {
    this.tail = '';
    this.decoder = new TextDecoder();
  }
}

// Jenkins' own closing line and Pipeline's step markers say nothing about why a build ended.
const NOISE = /^(Finished: [A-Z_]+|\[Pipeline\] .*)$/;
// Colours from AnsiColor and friends; Jenkins keeps them in the plain console.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the sequences removed here
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function lastMeaningfulLine(text: string): string | undefined {
  const lines = text.replace(ANSI, '').split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim() ?? '';
    if (line && !NOISE.test(line)) return line.length > 200 ? `${line.slice(0, 199)}…` : line;
  }
  return undefined;
}

/**
 * A build's whole console as it stands, its last OUTPUT_LIMIT bytes when longer, read in as many
 * requests as Jenkins needs (it sends at most 10,000 lines at a time while a build runs).
 */
export async function readConsole(
  api: JenkinsClient,
  job: string,
  build: number,
  where: string,
): Promise<{ text: string; running: boolean }> {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let dropped = 0;
  let offset = 0;
  let running = true;
  for (let read = 0; read < MAX_READS; read++) {
    const chunk = await api.console(job, build, offset);
    running = chunk.more;
    chunks.push(chunk.bytes);
    kept += chunk.bytes.length;
    // Drop whole reads that lie entirely before the last OUTPUT_LIMIT bytes.
    while (chunks.length > 1 && kept - (chunks[0]?.length ?? 0) >= OUTPUT_LIMIT) {
      const first = chunks.shift() as Uint8Array;
      kept -= first.length;
      dropped += first.length;
    }
    const advanced = chunk.size > offset;
    offset = chunk.size;
    if (!chunk.more || !advanced || chunk.bytes.length === 0) break;
  }
  let bytes = Buffer.concat(chunks);
  if (bytes.length > OUTPUT_LIMIT) {
    dropped += bytes.length - OUTPUT_LIMIT;
    bytes = bytes.subarray(bytes.length - OUTPUT_LIMIT);
  }
  let text = new TextDecoder().decode(bytes);
  if (dropped > 0) {
    // Start at a line, so the first one shown is whole.
    const newline = text.indexOf('\n');
    if (newline !== -1) text = text.slice(newline + 1);
    text = `[the first ${dropped} bytes or more are not shown; the whole console is at ${where}]\n${text}`;
  }
  return { text, running };
}
