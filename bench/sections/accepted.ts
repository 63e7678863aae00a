import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { AckTarget, BenchContext, Defer } from '../context.js';
import { startSlipway } from '../slipway.js';
import { startRecordFloor } from '../targets.js';
import {
  type AckFigure,
  type AckOverride,
  measureAck,
  measurePairs,
  type PairsFigure,
} from './ack.js';

/**
 * The accepted command: `web` to `bench`, which DEV may deploy, a fresh version each request
 * (`{n}`, bench/load.ts). Each is recorded, queued, and supersedes the one queued before it.
 */
export const ACCEPTED_TEXT = 'deploy web 1.{n} to bench';

/** (a') acknowledgements of accepted deploys, and what the store holds afterwards. */
export interface AcceptedFigure {
  text: string;
  ack: AckFigure;
  pairs: PairsFigure | null;
  /** Acknowledgements that carried an answer (warm-up and rounds included), over all loads. */
  answeredInAck: number;
  /** Deployments of web in bench in the store once the loads ended, by state. */
  recorded: { total: number; byState: Record<string, number> };
  /**
   * The same load on bare servers that write only the record, synced as Slipway's store is
   * (targets/record-floor.ts): Slipway's rows, and one append-only row. What the record itself
   * leaves of Bolt's throughput, with no Slipway around it.
   */
  floors: { slipwayRecord: AckFigure; journal: AckFigure };
}

/**
 * Accepted /deploy commands on a Slipway of their own (the deployments they leave behind must
 * not reach the other sections' figures), closed loop as (a), then in alternating rounds
 * beside Bolt. The store is read afterwards: every acknowledgement that carried an answer was
 * a deployment recorded before it went out.
 */
export async function measureAccepted(
  ctx: BenchContext,
  bolt: AckTarget,
  apiUrl: string,
  defer: Defer,
): Promise<AcceptedFigure> {
  const slipway = await startSlipway({ held: 0, heldSeconds: 0, fast: 0 }, apiUrl);
  defer(() => slipway.close());
  const target: AckTarget = {
    name: 'slipway-accepted',
    url: slipway.eventsUrl,
    pid: slipway.pid,
    answers: true,
  };
  const override: AckOverride = { text: ACCEPTED_TEXT };
  const ack = await measureAck(ctx, target, 'closed', override);
  let answeredInAck = ack.answered?.inAck ?? 0;
  const pairs =
    ctx.options.pairs > 0
      ? await measurePairs(ctx, target, bolt, ctx.options.pairs, 3, override)
      : null;
  answeredInAck += pairs?.answeredInAck ?? 0;
  const floors = {
    slipwayRecord: await measureFloor(ctx, 'slipway', override, defer),
    journal: await measureFloor(ctx, 'journal', override, defer),
  };
  return {
    text: ACCEPTED_TEXT,
    ack,
    pairs,
    answeredInAck,
    recorded: countRecorded(slipway.dataDir),
    floors,
  };
}

async function measureFloor(
  ctx: BenchContext,
  record: 'slipway' | 'journal',
  override: AckOverride,
  defer: Defer,
): Promise<AckFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-floor-'));
  defer(async () => rmSync(dir, { recursive: true, force: true }));
  const floor = await startRecordFloor(record, join(dir, 'floor.db'));
  try {
    const target = {
      name: `floor-${record}`,
      url: `http://127.0.0.1:${floor.port}/`,
      pid: floor.pid,
      answers: false,
    };
    return await measureAck(ctx, target, 'closed', override);
  } finally {
    await floor.stop();
  }
}

/** Read from the SQLite file directly: GET /api/deployments stops at 500. */
function countRecorded(dataDir: string): AcceptedFigure['recorded'] {
  const db = new Sqlite(join(dataDir, 'slipway.db'), { readonly: true });
  try {
    const rows = db
      .prepare(
        "select state, count(*) as n from deployments where service = 'web' and environment = 'bench' group by state",
      )
      .all() as Array<{ state: string; n: number }>;
    const byState = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    return { total: rows.reduce((n, r) => n + r.n, 0), byState };
  } finally {
    db.close();
  }
}
