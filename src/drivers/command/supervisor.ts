/**
 * Entry point of the supervisor process (`dist/drivers/command/supervisor.js`): started by the
 * `command` driver as `node supervisor.js <run-dir>`, detached from Slipway. See supervise.ts.
 */
import { supervise } from './supervise.js';

const runDir = process.argv[2];
if (runDir === undefined) {
  console.error('usage: supervisor <run-dir>');
  process.exit(64);
}
supervise(runDir).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('slipway supervisor failed:', err);
    process.exit(70);
  },
);
