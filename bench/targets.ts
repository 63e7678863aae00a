import { join } from 'node:path';
import { BENCH_DIR } from './load-spec.js';
import { type ServerChild, startServerChild } from './processes.js';
import { BOT_TOKEN, SIGNING_SECRET } from './slipway.js';

const PORT_LINE = /\{"port":(\d+)\}/;

/** Yardstick (i): a bare Node http server. */
export function startBare(): Promise<ServerChild> {
  return startServerChild(
    'bare node http',
    [join(BENCH_DIR, 'targets/bare-server.ts')],
    process.env,
    PORT_LINE,
  );
}

/** Yardstick (ii): a minimal Bolt app whose command handler only acks. */
export function startBolt(slackApiUrl: string): Promise<ServerChild> {
  return startServerChild(
    'bolt',
    [join(BENCH_DIR, 'targets/bolt-app.ts')],
    {
      ...process.env,
      BENCH_SIGNING_SECRET: SIGNING_SECRET,
      BENCH_BOT_TOKEN: BOT_TOKEN,
      BENCH_SLACK_API_URL: slackApiUrl,
    },
    PORT_LINE,
  );
}

/**
 * Yardstick (iii): a bare server that writes an accepted request's record and nothing else
 * (targets/record-floor.ts), Slipway's rows or one append-only row, in `dbPath`.
 */
export function startRecordFloor(
  record: 'slipway' | 'journal',
  dbPath: string,
): Promise<ServerChild> {
  return startServerChild(
    `record floor (${record})`,
    [join(BENCH_DIR, 'targets/record-floor.ts')],
    {
      ...process.env,
      BENCH_SIGNING_SECRET: SIGNING_SECRET,
      FLOOR_RECORD: record,
      FLOOR_DB: dbPath,
    },
    PORT_LINE,
  );
}
