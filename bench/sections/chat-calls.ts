import type { BenchContext } from '../context.js';
import { sendCommand, until } from '../send.js';
import { channelOf, fastName, IN_FLIGHT, type Slipway } from '../slipway.js';

/** (e) Web API calls Slack received per deployment that ran to success. */
export interface ChatCallsFigure {
  deployments: number;
  succeeded: number;
  calls: number;
  perDeployment: number;
  /** Of `calls`, those answered 429 (and retried by Slipway after Retry-After). */
  rateLimited: number;
  byMethod: Record<string, number>;
  /** Answers through response_url (not Web API calls, not rate-limited by tier). */
  responseUrlAnswers: number;
  /** Seed 000's bot: post "started", then update it with a check or a cross. */
  yardstick: { perDeployment: number; what: string };
}

/**
 * Deploys `n` services at once (each from its own channel, as their teams would), waits until
 * every deployment succeeded and Slack's call count has been still for 3 s, and divides.
 */
export async function measureChatCalls(
  ctx: BenchContext,
  slipway: Slipway,
  n: number,
): Promise<ChatCallsFigure> {
  const phase = 'chat-calls';
  const before = ctx.slack.calls().length;
  const names = Array.from({ length: n }, (_, i) => fastName(i));
  await Promise.all(
    names.map((name) =>
      sendCommand(
        slipway.eventsUrl,
        `deploy ${name} 1.0.0 to bench`,
        channelOf(name),
        `${ctx.sink.url}/r/${phase}`,
      ),
    ),
  );
  await until(
    `${n} deployments to finish`,
    async () => {
      const open = await slipway.deployments(IN_FLIGHT);
      const created = await slipway.deployments(['succeeded', 'failed', 'cancelled']);
      const ours = created.filter((d) => d.service.startsWith('fast-'));
      return open.length === 0 && ours.length >= n;
    },
    120_000,
  );
  const done = await slipway.deployments(['succeeded']);
  let last = -1;
  let stillSince = performance.now();
  await until(
    'Slack calls to stop',
    async () => {
      const count = ctx.slack.calls().length;
      if (count !== last) {
        last = count;
        stillSince = performance.now();
      }
      return performance.now() - stillSince >= 3_000;
    },
    120_000,
  );
  const calls = ctx.slack.calls().slice(before);
  const byMethod: Record<string, number> = {};
  for (const c of calls) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  return {
    deployments: n,
    succeeded: done.filter((d) => d.service.startsWith('fast-')).length,
    calls: calls.length,
    perDeployment: Math.round((calls.length / n) * 100) / 100,
    rateLimited: calls.filter((c) => c.status === 429).length,
    byMethod,
    responseUrlAnswers: ctx.sink.answers(phase).count,
    yardstick: { perDeployment: 2, what: 'seed 000: post "started", update it when done' },
  };
}
