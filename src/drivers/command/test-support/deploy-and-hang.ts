/**
 * A stand-in for a Slipway engine that dies mid-deployment: starts a deploy, prints the handle
 * on stdout, then hangs until the test SIGKILLs it.
 * Usage: node --import tsx deploy-and-hang.ts <dataDir> <script>
 */
import { dirname } from 'node:path';
import { createCommandDriver } from '../index.js';
import { optionsSchema } from '../schema.js';
import { makeDeployment, silent } from './fixtures.js';

const [dataDir = '', script = ''] = process.argv.slice(2);
const driver = createCommandDriver({ dataDir, env: { PATH: process.env.PATH }, log: silent });
const handle = await driver.deploy({
  deployment: makeDeployment(),
  image: null,
  options: optionsSchema.parse({ deploy: [script], cwd: dirname(script) }),
  log: silent,
  signal: new AbortController().signal,
  progress: () => undefined,
});
process.stdout.write(`${JSON.stringify(handle)}\n`);
setInterval(() => undefined, 60_000);
