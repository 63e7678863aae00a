/**
 * A separate process for the multi-process claim test: claims, holds briefly and finishes
 * deployments until none is queued or active, then prints what it did as one JSON line.
 * It prints "ready" once its store is open and starts on the first line of stdin, so that
 * every process really runs at the same time despite different start-up times.
 *
 *   node --import tsx claim-worker.ts <database-url> <owner>
 */
import { ACTIVE_STATES } from '../../core/deployment.js';
import { createStore } from '../index.js';
import { sleep } from './fixtures.js';

async function main(url: string, owner: string): Promise<void> {
  const store = createStore(url);
  const claimed: string[] = [];
  const errors: string[] = [];
  await store.ping();
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  try {
    for (;;) {
      const d = await store.claimNextQueued(owner, 30_000, { actor: owner });
      if (d) {
        claimed.push(d.id);
        await sleep(15 + Math.random() * 10);
        const done = await store.transition(d.id, ['running'], 'succeeded', { actor: owner });
        if (!done) errors.push(`could not finish ${d.id}`);
        continue;
      }
      const left = await store.listDeployments({ states: ['queued', ...ACTIVE_STATES], limit: 1 });
      if (left.length === 0) break;
      await sleep(1 + Math.random() * 3);
    }
  } catch (err) {
    errors.push(String(err));
  } finally {
    await store.close();
  }
  process.stdout.write(`${JSON.stringify({ owner, claimed, errors })}\n`);
}

const [url, owner] = process.argv.slice(2);
if (!url || !owner) {
  process.stderr.write('usage: claim-worker.ts <database-url> <owner>\n');
  process.exit(2);
}
await main(url, owner);
