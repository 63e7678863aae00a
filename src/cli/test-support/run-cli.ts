import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `slipway` executable from source, with no config and no server around. */
export function slipway(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'src/cli/index.ts'), ...args],
    {
      cwd: ROOT,
      env: { ...process.env, SLIPWAY_CONFIG: '/nonexistent/slipway.yaml', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return new Promise((done) => child.once('exit', (code) => done({ code, stdout, stderr })));
}
