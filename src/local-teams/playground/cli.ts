import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where Microsoft's Agents Playground is installed. It is a devDependency: a checkout has it, an
 * installed Slipway (`npm install slipway`, the container image) does not, and `slipway dev
 * --teams` then says how to add it instead of fetching and running it by itself.
 */
export const PLAYGROUND_PACKAGE = '@microsoft/m365agentsplayground';
/** The version package.json pins and docs/teams-probe.md measured; its config schema is 0.1.1. */
export const PLAYGROUND_VERSION = '0.2.28';
/** Installs it beside the project in the current directory, where `findPlaygroundCli` looks too. */
export const PLAYGROUND_INSTALL = `npm install --no-save ${PLAYGROUND_PACKAGE}@${PLAYGROUND_VERSION}`;

export interface PlaygroundCli {
  /** Its `cli.js`, run with this Node. */
  path: string;
  version: string;
}

/**
 * The Playground's CLI as Node resolves the package from Slipway's own files, then from `cwd`:
 * a global Slipway finds one installed with `PLAYGROUND_INSTALL` in the current directory.
 */
export function findPlaygroundCli(
  cwd: string = process.cwd(),
  from: readonly string[] = [dirname(fileURLToPath(import.meta.url)), cwd],
): PlaygroundCli | null {
  for (const dir of from) {
    let manifest: string;
    try {
      manifest = createRequire(join(dir, 'index.js')).resolve(`${PLAYGROUND_PACKAGE}/package.json`);
    } catch {
      continue;
    }
    const path = join(dirname(manifest), 'cli.js');
    if (!existsSync(path)) continue;
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string };
    return { path, version: version ?? 'unknown' };
  }
  return null;
}
