import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type DeploymentState, FINAL_STATES } from '../../src/core/deployment.js';
import { ROOT, type ServerProcess } from './processes.js';
import type { Replicas } from './replicas.js';
import { eventually } from './slack-harness.js';

/**
 * Proof from outside Slipway that replicas ran each deployment once and never two at a time on
 * a target: the deploy command (test/fixtures/ledger-run.sh) appends a line to a ledger when it
 * starts and when it ends, and the check below sets that ledger beside what the shared database
 * says happened. Used by the replicas-under-load e2e test and by `npm run bench` (l).
 */
export const LEDGER_SCRIPT = join(ROOT, 'test/fixtures/ledger-run.sh');

/** A `command` driver binding whose every run takes `seconds` and writes to `ledger`. */
export function ledgerBinding(ledger: string, seconds: number) {
  return {
    driver: 'command',
    options: { deploy: ['/bin/sh', LEDGER_SCRIPT, ledger, String(seconds)], timeout: '5m' },
  };
}

/** slipway.yaml for `targets` services in one environment, each announcing in its own channel. */
export function ledgerConfig(options: {
  targets: number;
  ledger: string;
  seconds: number;
  lease: string;
  users: string[];
}) {
  return {
    operator: 'operator',
    groups: { devs: options.users },
    environments: [{ name: 'load', order: 1, deployers: ['@devs'], autoRollback: false }],
    services: ledgerTargets(options.targets).map((name) => ({
      name,
      channel: channelOfTarget(name),
      owners: [options.users[0]],
      driver: ledgerBinding(options.ledger, options.seconds),
      environments: { load: {} },
    })),
    engine: { lease: options.lease, pollInterval: '200ms' },
  };
}

export const ledgerTargets = (n: number) =>
  Array.from({ length: n }, (_, i) => `t${String(i).padStart(2, '0')}`);
export const channelOfTarget = (service: string) => `C-${service.toUpperCase()}`;

export interface LedgerLine {
  kind: 'start' | 'end';
  id: string;
  target: string;
  at: number;
}

export function readLedger(path: string): LedgerLine[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind, id, service, environment, at] = line.split(' ');
      return {
        kind: kind as LedgerLine['kind'],
        id: id ?? '',
        target: `${service}/${environment}`,
        at: Number(at),
      };
    });
}

/** One deployment as the shared database holds it, with what its transitions say. */
export interface StoredRun {
  id: string;
  target: string;
  version: string;
  state: DeploymentState;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Transitions into running that were claims (not takeovers). */
  claims: number;
  /** When another process took it over, if one did. */
  resumedAt: number | null;
}

/** Every deployment in the database at `url` (a `?schema=` one, as the tests' schemas are). */
export async function readStoredRuns(url: string): Promise<StoredRun[]> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: parsed.toString() });
  client.on('error', () => {});
  await client.connect();
  try {
    if (schema) await client.query(`set search_path to "${schema.replace(/"/g, '""')}"`);
    const { rows } = await client.query<Record<string, string | null>>(`
      select d.id, d.service, d.environment, d.version, d.state, d.created_at, d.started_at,
        d.finished_at,
        count(t.seq) filter (where t.to_state = 'running' and coalesce(t.reason, '') not like 'resumed by %') as claims,
        min(t.at) filter (where t.reason like 'resumed by %') as resumed_at
      from deployments d left join transitions t on t.deployment_id = d.id
      group by d.id`);
    const num = (v: string | null | undefined) =>
      v === null || v === undefined ? null : Number(v);
    return rows.map((r) => ({
      id: String(r.id),
      target: `${r.service}/${r.environment}`,
      version: String(r.version),
      state: String(r.state) as DeploymentState,
      createdAt: Number(r.created_at),
      startedAt: num(r.started_at),
      finishedAt: num(r.finished_at),
      claims: Number(r.claims),
      resumedAt: num(r.resumed_at),
    }));
  } finally {
    await client.end();
  }
}

export interface RunCheck {
  deployments: number;
  byState: Record<string, number>;
  /** Deployments whose command ran (per the ledger). */
  ran: number;
  /** Deployments another process took over after their first one stopped. */
  resumed: number;
  /** Accepted requests (by version) with no deployment at all. */
  lost: string[];
  /** Everything that breaks "each run once, none overlapping, every request an outcome". */
  violations: string[];
  /**
   * Per run: ms from when it could first be claimed (created, and its target free: the previous
   * run there finished) to its claim. Waiting behind a run on the same target is the target's
   * serialization, not claim latency.
   */
  claimMs: number[];
  /** Per run: ms from the record's creation to its claim, waiting included. */
  createdToClaimMs: number[];
}

export function checkRuns(
  stored: StoredRun[],
  ledger: LedgerLine[],
  acceptedVersions: readonly string[],
): RunCheck {
  const violations: string[] = [];
  const lines = new Map<string, LedgerLine[]>();
  for (const line of ledger) lines.set(line.id, [...(lines.get(line.id) ?? []), line]);
  const byVersion = new Set(stored.map((d) => d.version));
  const lost = acceptedVersions.filter((v) => !byVersion.has(v));
  for (const v of lost) violations.push(`accepted request for ${v} has no deployment`);
  const byState: Record<string, number> = {};
  for (const d of stored) {
    byState[d.state] = (byState[d.state] ?? 0) + 1;
    const mine = lines.get(d.id) ?? [];
    const starts = mine.filter((l) => l.kind === 'start').length;
    const ends = mine.filter((l) => l.kind === 'end').length;
    if (!FINAL_STATES.includes(d.state))
      violations.push(`${d.id} (${d.target}) has no outcome: still ${d.state}`);
    else if (d.state === 'superseded' && starts > 0)
      violations.push(`${d.id} was superseded yet its command ran`);
    else if (d.state !== 'superseded' && d.state !== 'succeeded')
      violations.push(`${d.id} ended ${d.state}, where every run should succeed`);
    if (d.state === 'succeeded' && (starts !== 1 || ends !== 1 || d.claims !== 1))
      violations.push(
        `${d.id} ran ${starts} time(s), ended ${ends}, was claimed ${d.claims}: not exactly once`,
      );
  }
  for (const id of lines.keys())
    if (!stored.some((d) => d.id === id)) violations.push(`the ledger has ${id}, the store not`);
  violations.push(...overlaps(ledger));
  const { claimMs, createdToClaimMs } = claimLatencies(stored);
  return {
    deployments: stored.length,
    byState,
    ran: [...lines.values()].filter((l) => l.some((x) => x.kind === 'start')).length,
    resumed: stored.filter((d) => d.resumedAt !== null).length,
    lost,
    violations,
    claimMs,
    createdToClaimMs,
  };
}

/** Runs on one target whose ledger spans overlap: each must start after the one before ended. */
function overlaps(ledger: LedgerLine[]): string[] {
  const spans = new Map<string, Array<{ id: string; start: number; end: number }>>();
  for (const line of ledger) {
    if (line.kind !== 'start') continue;
    const end = ledger.find((l) => l.kind === 'end' && l.id === line.id)?.at ?? Infinity;
    spans.set(line.target, [
      ...(spans.get(line.target) ?? []),
      { id: line.id, start: line.at, end },
    ]);
  }
  const found: string[] = [];
  for (const [target, list] of spans) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) {
      const [prev, cur] = [list[i - 1], list[i]];
      if (prev && cur && cur.start < prev.end)
        found.push(`${target}: ${cur.id} started before ${prev.id} ended`);
    }
  }
  return found;
}

function claimLatencies(stored: StoredRun[]): Pick<RunCheck, 'claimMs' | 'createdToClaimMs'> {
  const claimMs: number[] = [];
  const createdToClaimMs: number[] = [];
  const byTarget = new Map<string, StoredRun[]>();
  for (const d of stored)
    if (d.startedAt !== null) byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
  for (const runs of byTarget.values()) {
    runs.sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
    let freeAt = 0;
    for (const d of runs) {
      const started = d.startedAt ?? 0;
      claimMs.push(Math.max(0, started - Math.max(d.createdAt, freeAt)));
      createdToClaimMs.push(started - d.createdAt);
      freeAt = d.finishedAt ?? Infinity;
    }
  }
  return { claimMs, createdToClaimMs };
}

/**
 * Calls `send(i)` `rate` times a second for `durationMs`, on schedule whether or not earlier
 * calls have answered (an open loop, as independent clients send), and resolves with every
 * answer once all have come.
 */
export async function atRate<T>(
  rate: number,
  durationMs: number,
  send: (i: number) => Promise<T>,
): Promise<T[]> {
  const total = Math.floor((rate * durationMs) / 1000);
  const pending: Array<Promise<T>> = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(send(i));
  }
  return Promise.all(pending);
}

/**
 * SIGKILLs the second replica `afterMs` from now, at a moment it holds a running deployment, so a
 * takeover is always part of the run.
 */
export async function killWhileRunning(r: Replicas, afterMs: number): Promise<ServerProcess> {
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  const victim = r.servers[1] as ServerProcess;
  const owner = r.processIdOf(victim);
  await eventually(async () => {
    const running = await r.store.listDeployments({ states: ['running'] });
    return running.some((d) => d.leaseOwner === owner);
  }, 20_000);
  victim.child.kill('SIGKILL');
  return victim;
}
