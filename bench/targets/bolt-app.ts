// Yardstick (ii): a minimal @slack/bolt App on its HTTP receiver, with the same signing secret,
// whose /deploy handler only acknowledges. Bolt verifies the signature, parses the body and
// runs its middleware before the handler; auth.test runs once at start (against the local
// Slack double), as it would for a real single-workspace app. Prints {"port":N} once listening.
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';

const app = new App({
  token: process.env.BENCH_BOT_TOKEN,
  signingSecret: process.env.BENCH_SIGNING_SECRET ?? '',
  clientOptions: { slackApiUrl: process.env.BENCH_SLACK_API_URL },
  logLevel: LogLevel.ERROR,
});
app.command('/deploy', async ({ ack }) => {
  await ack();
});
const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
server.keepAliveTimeout = 65_000;
const address = server.address();
process.stdout.write(
  `${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`,
);
process.on('SIGTERM', () => {
  app.stop().then(() => process.exit(0));
});
