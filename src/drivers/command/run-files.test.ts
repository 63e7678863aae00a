import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

/** Every module the supervisor loads, by following imports from its entry point. */
function importsFrom(entry: string): { files: string[]; packages: string[] } {
  const files: string[] = [];
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (files.includes(file)) continue;
    files.push(file);
    const text = readFileSync(file, 'utf8');
    for (const [, from] of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      if (!from) continue;
      if (from.startsWith('.')) queue.push(resolve(dirname(file), from.replace(/\.js$/, '.ts')));
      else packages.add(from);
    }
  }
  return { files, packages: [...packages].sort() };
}

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

  it('keeps the supervisor free of packages: it stays in memory for as long as its command runs', () => {
    const { files, packages } = importsFrom(join(import.meta.dirname, 'supervisor.ts'));
    // The walk follows the imports it should: the supervisor's own modules.
    expect(files.map((f) => f.slice(import.meta.dirname.length + 1)).sort()).toEqual([
      'output-log.ts',
      'processes.ts',
      'run-files.ts',
      'supervise.ts',
      'supervisor.ts',
    ]);
    expect(packages.filter((p) => !p.startsWith('node:'))).toEqual([]);
  });
});
