import { afterEach, describe, expect, it } from 'vitest';
import { removeTestDir, tempDir } from '../support/engine-harness.js';
import { atRate, readLedger } from '../support/run-ledger.js';
import { eventually } from '../support/slack-harness.js';
import { type SoakServer, startSoakServer } from '../support/soak-traffic.js';

/**
 * A short soak: one process under mixed traffic (commands, approvals and their clicks, builds,
 * alerts) for 40 s. Afterwards every deployment has an outcome, each command ran at most once,
 * and nothing was logged at error level. The 20-minute soak, with its heap slope and event-loop
 * delay, is `npm run bench` (s).
 */
const RATE = 10;
const SECONDS = 40;
const IN_FLIGHT = [
  'requested',
  'awaiting_approval',
  'queued',
  'running',
  'verifying',
  'rolling_back',
];

let soak: SoakServer | null = null;
let dir: string | null = null;
afterEach(async () => {
  await soak?.close();
  if (dir) await removeTestDir(dir);
  soak = dir = null;
});

describe('soak', () => {
  it('leaves no deployment without an outcome and logs no error', async () => {
    dir = tempDir('slipway-soak-');
    soak = await startSoakServer({ dir });
    const s = soak;
    const sent = await atRate(RATE, SECONDS * 1000, (i) => s.send(i));

    // Every kind of traffic reached Slipway and was taken.
    const taken = new Map<string, number>();
    for (const r of sent)
      if (r.status !== null && r.status < 300) taken.set(r.kind, (taken.get(r.kind) ?? 0) + 1);
    for (const kind of ['deploy', 'approval', 'click', 'status', 'lock', 'build', 'alert'])
      expect(taken.get(kind) ?? 0, `${kind} requests answered 2xx`).toBeGreaterThan(0);

    // Production deploys still waiting for QA are approved; then everything ends.
    const waiting = await eventually(async () => {
      await s.approveAll();
      const res = await fetch(
        `${s.baseUrl}/api/deployments?state=${IN_FLIGHT.join(',')}&limit=500`,
      );
      const { deployments } = (await res.json()) as {
        deployments: Array<{ id: string; state: string }>;
      };
      return deployments.length === 0 ? deployments : null;
    }, 60_000);
    expect(waiting).toEqual([]);
    const all = await fetch(`${s.baseUrl}/api/deployments?limit=500`);
    const { deployments } = (await all.json()) as { deployments: Array<{ state: string }> };
    expect(deployments.length).toBeGreaterThan(20);
    expect(deployments.filter((d) => d.state === 'succeeded').length).toBeGreaterThan(0);

    // The deploy command's own ledger: no deployment's command started twice.
    const starts = readLedger(`${dir}/ledger.log`).filter((l) => l.kind === 'start');
    expect(starts.length).toBeGreaterThan(0);
    expect(new Set(starts.map((l) => l.id)).size).toBe(starts.length);

    const errors = s.server
      .output()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    expect(errors).toEqual([]);
  }, 150_000);
});
