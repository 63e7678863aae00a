import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { supervisorCommand } from './launch.js';

describe('supervisor command', () => {
  it('runs the compiled sibling with node alone when built', () => {
    expect(supervisorCommand('file:///srv/slipway/dist/drivers/command/launch.js')).toEqual({
      file: process.execPath,
      args: ['/srv/slipway/dist/drivers/command/supervisor.js'],
    });
  });

  it('runs the TypeScript sibling through an absolute tsx loader from source', () => {
    const { file, args } = supervisorCommand(new URL('./launch.ts', import.meta.url).href);
    expect(file).toBe(process.execPath);
    expect(args[0]).toBe('--import');
    expect(args[1]).toMatch(/^file:\/\/.*\/node_modules\/tsx\/dist\/loader\.mjs$/);
    expect(args[2]).toMatch(/\/src\/drivers\/command\/supervisor\.ts$/);
    expect(existsSync(args[2] ?? '')).toBe(true);
  });
});
