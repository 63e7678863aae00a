import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  date: string;
  /** 1-minute load average when the run started and ended (the end includes the run itself). */
  loadAverage: { start: number; end: number | null };
  /** Share of all cores busy in the 2 s before the run started: other work on the machine. */
  busyBefore: number | null;
}

function cpuTimes(): { busy: number; total: number } | null {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    // idle and iowait (proc(5)).
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return null;
  }
}

/** Share of all cores busy over `ms` (Linux /proc/stat), or null elsewhere. */
export async function busyShare(ms = 2_000): Promise<number | null> {
  const a = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return null;
  return Math.round(((b.busy - a.busy) / (b.total - a.total)) * 100) / 100;
}

export async function machineInfo(): Promise<MachineInfo> {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()}`,
    date: new Date().toISOString(),
    loadAverage: { start: round1(loadavg()[0] ?? 0), end: null },
    busyBefore: await busyShare(),
  };
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
