import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  removeTestDir,
  scenarioConfig,
  scenarioConfigInput,
  tempDir,
} from '../../test/support/engine-harness.js';
import { newDeploymentId } from '../core/ids.js';
import { createStore } from '../store/index.js';
import { newDeployment, timeline } from '../store/test-support/fixtures.js';
import { newRefusal } from '../store/test-support/refusal-cases.js';
import type { Store } from '../store/types.js';
import { readArgs } from './args.js';
import { auditQuery, auditTrail, runHistory } from './history.js';
import { createCliOutput } from './output.js';
import { renderAuditTrail } from './render.js';
import { HISTORY } from './specs.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeTestDir));
});

/** Two deployments of web in production, three refusals around them, one elsewhere. */
async function seed(store: Store) {
  const at = timeline();
  const target = { service: 'web', environment: 'production' };
  const deploy = async (version: string, ms: number) =>
    (
      await store.createDeployment(
        newDeployment({ ...target, version, id: newDeploymentId() }),
        'succeeded',
        {
          actor: 'U-DEV1',
          at: at(ms),
        },
      )
    ).deployment;
  const first = await deploy('1.0.0', 0);
  const frozen = newRefusal({ ...target, at: at(1000), actor: 'U-DEV2', code: 'frozen' });
  const second = await deploy('1.1.0', 2000);
  const selfApproval = newRefusal({
    ...target,
    at: at(3000),
    actor: 'U-DEV1',
    action: 'approve',
    version: null,
    deploymentId: second.id,
    code: 'self_approval',
    reason: `You requested this deployment yourself.\nSomeone in @qa must approve it: ${'a very long explanation '.repeat(8)}`,
  });
  const elsewhere = newRefusal({ service: 'api', environment: 'staging', at: at(4000) });
  for (const r of [frozen, selfApproval, elsewhere]) await store.recordRefusal(r);
  return { first, second, frozen, selfApproval, elsewhere };
}

describe('history --all', () => {
  it('interleaves refusals with deployments, newest first, one line each', async () => {
    const store = createStore(':memory:');
    try {
      await store.migrate();
      const s = await seed(store);
      const query = { service: 'web', environment: 'production', limit: 10 };
      const entries = await auditTrail(store, query);
      expect(
        entries.map((e) => (e.type === 'deployment' ? e.deployment.id : e.refusal.id)),
      ).toEqual([s.selfApproval.id, s.second.id, s.frozen.id, s.first.id]);
      expect(await auditTrail(store, { ...query, limit: 2 })).toHaveLength(2);
      expect(await auditTrail(store, { service: null, environment: null, limit: 1 })).toEqual([
        { type: 'refusal', at: s.elsewhere.at, refusal: s.elsewhere },
      ]);

      const lines = renderAuditTrail(entries).split('\n');
      expect(lines).toHaveLength(5);
      const [header = '', approval = '', , frozen = ''] = lines;
      const state = header.indexOf('STATE');
      expect(approval.slice(state)).toMatch(
        new RegExp(
          `^refused +U-DEV1 +approve ${s.second.id}: You requested this deployment yourself\\. Someone in @qa`,
        ),
      );
      expect(approval.endsWith('…')).toBe(true);
      expect(approval.length).toBeLessThan(header.indexOf('OUTCOME') + 81);
      expect(frozen.slice(state)).toMatch(/^refused +U-DEV2 +deploy: production is frozen/);
      expect(lines[2]?.slice(state)).toMatch(/^succeeded +U-DEV1/);
      // Columns line up: every row has its state where the header says.
      for (const line of lines.slice(1)) expect(line[state - 1]).toBe(' ');
    } finally {
      await store.close();
    }
  });

  it('shows people by the names the store knows, columns aligned on them', async () => {
    const store = createStore(':memory:');
    try {
      await store.migrate();
      const at = timeline();
      const target = { service: 'web', environment: 'production' };
      const { deployment } = await store.createDeployment(
        newDeployment({ ...target, version: '1.0.0', requestedBy: 'U0API0001' }),
        'succeeded',
        { actor: 'U0API0001', at: at(0) },
      );
      const refusal = newRefusal({
        ...target,
        at: at(1000),
        actor: 'U0WEB0001',
        code: 'locked',
        reason: 'production is locked by U0API0001 since 2025-03-01T10:00:00.000Z',
      });
      await store.recordRefusal(refusal);
      const refreshedAt = new Date();
      await store.rememberPeople([{ id: 'U0API0001', name: 'Ana Beatriz Lima', refreshedAt }]);
      const entries = await auditTrail(store, { ...target, limit: 10 });

      let out = '';
      const output = createCliOutput(store, { out: (t) => (out += t), err: () => {} });
      await output.out((names) => renderAuditTrail(entries, names));
      const [header = '', refused = '', deployed = ''] = out.trimEnd().split('\n');
      const by = header.indexOf('BY');
      const outcome = header.indexOf('OUTCOME');
      expect(outcome - by).toBe('Ana Beatriz Lima'.length + 2);
      // Unknown to the store, U0WEB0001 stays an id; the column is as wide as the name, longer.
      expect(refused.slice(by, outcome)).toBe('U0WEB0001'.padEnd(outcome - by));
      expect(refused.slice(outcome)).toBe(
        'deploy: production is locked by Ana Beatriz Lima since 2025-03-01T10:00:00.000Z',
      );
      // No outcome: the line ends after the name.
      expect(deployed.slice(by)).toBe('Ana Beatriz Lima');
      expect(deployed.startsWith(deployment.id)).toBe(true);
      expect(out).not.toContain('U0API0001');
    } finally {
      await store.close();
    }
  });

  it('reads a service, a number and --in with the chat grammar’s names and errors', () => {
    const config = scenarioConfig('/nonexistent');
    expect(auditQuery(config, [], null)).toEqual({ service: null, environment: null, limit: 10 });
    expect(auditQuery(config, ['20'], 'PRODUCTION')).toEqual({
      service: null,
      environment: 'production',
      limit: 20,
    });
    expect(auditQuery(config, ['web', '5'], 'staging')).toEqual({
      service: 'web',
      environment: 'staging',
      limit: 5,
    });
    expect(auditQuery(config, ['wbe'], null)).toMatch(/Unknown service .*web/);
    expect(auditQuery(config, [], 'prodution')).toMatch(/Unknown environment .*production/);
    expect(auditQuery(config, ['500'], null)).toMatch(/between 1 and 100/);
  });

  it('prints the trail from slipway.yaml’s database, and reads --all and --help', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const configPath = join(dir, 'slipway.yaml');
    writeFileSync(configPath, JSON.stringify(scenarioConfigInput(join(dir, 'targets'))));
    const env = { SLIPWAY_CONFIG: configPath, SLIPWAY_DATA_DIR: dir, SLIPWAY_LOG_LEVEL: 'silent' };
    const store = createStore(`sqlite://${join(dir, 'slipway.db')}`);
    let s: Awaited<ReturnType<typeof seed>>;
    try {
      await store.migrate();
      s = await seed(store);
    } finally {
      await store.close();
    }
    let out = '';
    const write = (text: string) => {
      out += text;
    };

    expect(
      await runHistory(readArgs(HISTORY, ['--all', 'web', '--in', 'production']), env, write),
    ).toBe(0);
    const rows = out.trim().split('\n');
    expect(rows.map((r) => r.split(/ +/)[0])).toEqual([
      'ID',
      s.selfApproval.id,
      s.second.id,
      s.frozen.id,
      s.first.id,
    ]);

    out = '';
    expect(await runHistory(readArgs(HISTORY, ['--all', '--json', '1']), env, write)).toBe(0);
    expect(JSON.parse(out)).toEqual([
      {
        type: 'refusal',
        at: s.elsewhere.at.toISOString(),
        refusal: JSON.parse(JSON.stringify(s.elsewhere)),
      },
    ]);

    expect(readArgs(HISTORY, ['--help']).help).toBe(true);
  });
});
