import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPlaygroundCli, PLAYGROUND_INSTALL, PLAYGROUND_VERSION } from './cli.js';

describe('findPlaygroundCli', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-playground-cli-'));
    dirs.push(dir);
    return dir;
  };

  it("finds the devDependency from Slipway's own files", () => {
    const found = findPlaygroundCli(scratch());
    expect(found?.path).toMatch(/node_modules\/@microsoft\/m365agentsplayground\/cli\.js$/);
    expect(found?.version).toBe(PLAYGROUND_VERSION);
  });

  it('finds none where it is not installed, and then one installed in the current directory', () => {
    const cwd = scratch();
    expect(findPlaygroundCli(cwd, [cwd])).toBeNull();
    // What `npm install --no-save` leaves in the current directory.
    const pkg = join(cwd, 'node_modules/@microsoft/m365agentsplayground');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ version: '0.2.28' }));
    expect(findPlaygroundCli(cwd, [cwd])).toBeNull();
    writeFileSync(join(pkg, 'cli.js'), '');
    expect(findPlaygroundCli(cwd, [scratch(), cwd])).toEqual({
      path: join(pkg, 'cli.js'),
      version: '0.2.28',
    });
    expect(PLAYGROUND_INSTALL).toBe('npm install --no-save @microsoft/m365agentsplayground@0.2.28');
  });
});
