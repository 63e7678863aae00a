import { describe, expect, it } from 'vitest';
import { type RunSpec, runSpecProblems } from './run-files.js';

const spec: RunSpec = {
  format: 1,
  runId: 'd-1%2F2-deploy',
  phase: 'deploy',
  argv: ['./deploy.sh', 'web', '1.4.2'],
  cwd: '/srv/deploy',
  env: { PATH: '/usr/bin', VERSION: '1.4.2' },
  timeoutMs: 600_000,
  killGraceMs: 10_000,
  outputLimitBytes: 1 << 20,
  createdAt: new Date('2026-12-04T10:00:00.123Z').toISOString(),
};

describe('run files', () => {
  it('takes a spec Slipway wrote, and names each problem of one it did not', () => {
    expect(runSpecProblems(spec)).toEqual([]);
    expect(runSpecProblems(JSON.parse(JSON.stringify(spec)))).toEqual([]);
    expect(runSpecProblems(null)).toEqual(['not an object']);
    expect(runSpecProblems([spec])).toEqual(['not an object']);
    expect(
      runSpecProblems({
        ...spec,
        format: 2,
        runId: '../etc',
        phase: 'teardown',
        argv: [],
        cwd: 7,
        env: { PATH: 1 },
        timeoutMs: 0,
        killGraceMs: 1.5,
        outputLimitBytes: '1024',
        createdAt: '2026-12-04 10:00',
      }),
    ).toEqual([
      'format must be 1',
      'runId is not a run id',
      'phase must be deploy or rollback',
      'argv must be a non-empty list of strings',
      'cwd must be a string',
      'env must map names to strings',
      'timeoutMs must be a positive integer',
      'killGraceMs must be a positive integer',
      'outputLimitBytes must be a positive integer',
      'createdAt must be an ISO 8601 UTC time',
    ]);
    const { argv: _argv, ...withoutArgv } = spec;
    expect(runSpecProblems(withoutArgv)).toEqual(['argv must be a non-empty list of strings']);
    expect(runSpecProblems({ ...spec, argv: ['ok', 3] })).toEqual([
      'argv must be a non-empty list of strings',
    ]);
  });
});
