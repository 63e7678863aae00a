// Yardstick (iii): the least an accepted /deploy can cost with Slipway's record, and with an
// append-only one. A bare Node server checks the Slack signature (Slipway's own check), parses
// the form, and writes in SQLite, in one transaction per group of the requests that arrived
// meanwhile, synced before it answers, with the next group written once the one before is
// synced (the WAL synced off the event loop, as Slipway's store does:
// src/store/sqlite/wal-sync.ts), on a database made by Slipway's own migrations:
//   FLOOR_RECORD=slipway  the rows Slipway writes for an accepted deploy: the delivery mark, the
//                         deployment (a random id, every index the migrations give the table),
//                         its two transitions, and the waiting request it supersedes, updated,
//                         with its transition;
//   FLOOR_RECORD=journal  one row in a table of its own with no secondary index, what a design
//                         that records the request first and builds the deployment afterwards
//                         would write before answering.
// No policy, no idempotency or lock lookups, no answer rendering, no events: a floor, not a
// Slipway. FLOOR_DB is the database file. Prints {"port":N} once listening.
import { createServer, type ServerResponse } from 'node:http';
import { verifySlackSignature } from '../../src/chat/slack/verify.js';
import { newCorrelationId, newDeploymentId } from '../../src/core/ids.js';
import { createStore } from '../../src/store/index.js';
import { openDatabase } from '../../src/store/sqlite/index.js';
import { createWalSync } from '../../src/store/sqlite/wal-sync.js';

const SECRET = process.env.BENCH_SIGNING_SECRET ?? '';
const record = process.env.FLOOR_RECORD === 'journal' ? 'journal' : 'slipway';
const path = process.env.FLOOR_DB ?? '';
const store = createStore(`sqlite:${path}`);
await store.migrate();
await store.close();

// Opened as the store opens its own connection, and synced as its driver syncs.
const db = openDatabase(path, 5_000);
const durability = createWalSync(db);
db.exec('create table if not exists floor_journal (seq integer primary key, body text not null)');
const journal = db.prepare('insert into floor_journal (body) values (?)');
const mark = db.prepare(
  'insert into seen_deliveries (key, expires_at) values (?, ?) on conflict (key) do nothing',
);
const insertDeployment = db.prepare(`insert into deployments (id, service, environment, version,
  kind, state, requested_by, source, channel, correlation_id, idempotency_key, driver, created_at,
  updated_at) values (?, 'web', 'bench', ?, 'deploy', 'queued', ?, 'slack', ?, ?, ?, 'command', ?, ?)`);
const insertTransitions = db.prepare(`insert into transitions (deployment_id, seq, from_state,
  to_state, actor, at, correlation_id) values (?, 1, null, 'requested', ?, ?, ?),
  (?, 2, 'requested', 'queued', 'slipway', ?, ?)`);
const waiting = db.prepare(
  "select id from deployments where service = 'web' and environment = 'bench' and state = 'queued'",
);
const supersede = db.prepare(
  "update deployments set state = 'superseded', outcome = ?, updated_at = ?, finished_at = ? where id = ?",
);
const insertSuperseded = db.prepare(`insert into transitions (deployment_id, seq, from_state,
  to_state, actor, at, reason, correlation_id) values (?, 3, 'queued', 'superseded', 'slipway', ?, ?, ?)`);

interface Accepted {
  res: ServerResponse;
  form: URLSearchParams;
}

function write(batch: Accepted[], now: number): void {
  for (const { form } of batch) {
    if (record === 'journal') {
      journal.run(JSON.stringify(Object.fromEntries(form)));
      continue;
    }
    const trigger = form.get('trigger_id') ?? '';
    mark.run(`slack:${trigger}`, now + 300_000);
    const id = newDeploymentId();
    const correlation = newCorrelationId();
    const user = form.get('user_id') ?? '';
    for (const { id: older } of waiting.all() as { id: string }[]) {
      const why = `superseded by ${id}`;
      supersede.run(why, now, now, older);
      insertSuperseded.run(older, now, why, correlation);
    }
    const version = (form.get('text') ?? '').split(' ')[2] ?? '';
    insertDeployment.run(
      id,
      version,
      user,
      form.get('channel_id'),
      correlation,
      `slack:trigger:${trigger}`,
      now,
      now,
    );
    insertTransitions.run(id, user, now, correlation, id, now, correlation);
  }
}

let waitingToWrite: Accepted[] = [];
// As Slipway's accept writer: the next group is written once the one before is synced, so the
// requests that arrive during a sync share one commit.
let writing = false;
function flush(): void {
  if (writing || waitingToWrite.length === 0) return;
  writing = true;
  const batch = waitingToWrite;
  waitingToWrite = [];
  db.transaction(write)(batch, Date.now());
  durability.synced().then(
    () => {
      answer(batch);
      writing = false;
      flush();
    },
    (err: unknown) => {
      // A floor whose record is not durable measures nothing: stop, and the bench says so.
      console.error(err);
      process.exit(1);
    },
  );
}

function answer(batch: Accepted[]): void {
  for (const { res, form } of batch) {
    const body = JSON.stringify({
      response_type: 'ephemeral',
      text: `Accepted: ${form.get('text')}`,
    });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const refused = verifySlackSignature({
      signingSecret: SECRET,
      body: raw,
      signature: req.headers['x-slack-signature'] as string | undefined,
      timestamp: req.headers['x-slack-request-timestamp'] as string | undefined,
      nowMs: Date.now(),
    });
    if (refused) {
      res.writeHead(401, { 'content-length': '0' });
      res.end();
      return;
    }
    waitingToWrite.push({ res, form: new URLSearchParams(raw) });
    if (waitingToWrite.length === 1 && !writing) setImmediate(flush);
  });
});
// Same keep-alive window as Slipway's server, so neither closes the generator's connections.
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () =>
  server.close(() => {
    db.close();
    process.exit(0);
  }),
);
