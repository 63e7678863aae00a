import { Writable } from 'node:stream';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import {
  ATTR_CORRELATION_ID,
  ATTR_DEPLOYMENT_ID,
  inSpan,
  startTracing,
  type Tracing,
} from '../../src/observability/tracing.js';
import { eventually, type SlackHarness, startSlackHarness } from '../support/slack-harness.js';

/**
 * One deployment from a slash command to success, traced into an in-memory exporter: one trace
 * from the command through policy and the request to the run (started later by the worker, from
 * the traceparent stored with the deployment), the driver's calls and the chat updates.
 * The SDK is global (OpenTelemetry's API is): vitest runs each file in its own process.
 */
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let h: SlackHarness | null = null;
beforeAll(() => {
  tracing = startTracing({}, { exporter });
});
afterAll(() => tracing.shutdown());
afterEach(async () => {
  await h?.close();
  h = null;
  exporter.reset();
});

const idOf = (s: ReadableSpan) => s.spanContext().spanId;
const traceOf = (s: ReadableSpan) => s.spanContext().traceId;
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`${found.length} spans named ${name}`);
  return found[0] as ReadableSpan;
}

describe('tracing', () => {
  it('follows a deployment from the slash command to success in one trace', async () => {
    expect(tracing.enabled).toBe(true);
    h = await startSlackHarness({ mode: 'http', ms: 300 });
    await h.slack.slashCommand({ user: 'U-DEV1', channel: 'C-WEB', text: 'web 1.4.2 to staging' });
    const d = await h.latest('web');
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
    await h.settled();
    const spans = await eventually(() => {
      const all = exporter.getFinishedSpans();
      return all.some((s) => s.name === 'deployment.run') ? all : null;
    });

    // The command is the root of the trace, and knows the deployment it made.
    const command = only(spans, 'chat.command');
    expect(command.parentSpanContext).toBeUndefined();
    expect(command.attributes).toMatchObject({
      'slipway.command': 'deploy',
      'enduser.id': 'U-DEV1',
      [ATTR_DEPLOYMENT_ID]: d.id,
      [ATTR_CORRELATION_ID]: d.correlationId,
    });
    const traceId = traceOf(command);

    const request = only(spans, 'engine.request');
    expect(parentOf(request)).toBe(idOf(command));
    expect(request.attributes[ATTR_CORRELATION_ID]).toBe(d.correlationId);
    const policy = only(spans, 'policy.decide');
    expect(parentOf(policy)).toBe(idOf(request));
    expect(policy.attributes['slipway.policy.allowed']).toBe(true);

    // The stored trace context is the request's, and the run continues it.
    expect(d.traceParent).toBe(`00-${traceId}-${idOf(request)}-01`);
    const run = only(spans, 'deployment.run');
    expect(traceOf(run)).toBe(traceId);
    expect(parentOf(run)).toBe(idOf(request));
    expect(run.attributes).toMatchObject({
      [ATTR_DEPLOYMENT_ID]: d.id,
      [ATTR_CORRELATION_ID]: d.correlationId,
      'slipway.outcome': 'succeeded',
      'slipway.resumed_from': 'running',
    });
    expect(run.events.map((e) => e.attributes?.['slipway.to'])).toEqual(['verifying', 'succeeded']);

    // The driver's calls, children of the run, carrying the correlation id.
    const driverCalls = spans.filter((s) => s.name.startsWith('driver.'));
    expect(new Set(driverCalls.map((s) => s.name))).toEqual(
      new Set(['driver.deploy', 'driver.watch', 'driver.status']),
    );
    for (const call of driverCalls) {
      expect(parentOf(call)).toBe(idOf(run));
      expect(call.attributes[ATTR_CORRELATION_ID]).toBe(d.correlationId);
      expect(call.attributes['slipway.driver']).toBe('command');
    }
    expect(only(spans, 'driver.watch').attributes['slipway.ok']).toBe(true);

    // Chat calls: the deployment's card (posted, then updated in place) in the same trace,
    // tagged with the deployment. The command's answer went in its acknowledgement: the card is
    // the channel's one message about it, so nothing is posted under the command.
    const chat = spans.filter((s) => s.name.startsWith('chat.') && s.name !== 'chat.command');
    expect(chat.every((s) => traceOf(s) === traceId)).toBe(true);
    expect(chat.filter((s) => parentOf(s) === idOf(command))).toEqual([]);
    // The card, and the review's direct messages (web on staging is up for review).
    const posts = chat.filter((s) => s.name === 'chat.post');
    expect(posts.length).toBeGreaterThanOrEqual(1);
    for (const post of posts) {
      expect(post.attributes[ATTR_DEPLOYMENT_ID]).toBe(d.id);
      expect(post.attributes[ATTR_CORRELATION_ID]).toBe(d.correlationId);
    }
    const updates = chat.filter((s) => s.name === 'chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    for (const update of updates) {
      expect(update.attributes[ATTR_DEPLOYMENT_ID]).toBe(d.id);
      expect(update.attributes[ATTR_CORRELATION_ID]).toBe(d.correlationId);
    }
    // The update that shows the final state is made in the run's part of the trace.
    const runSide = new Set([idOf(run), ...driverCalls.map(idOf)]);
    expect(updates.some((s) => runSide.has(parentOf(s) ?? ''))).toBe(true);

    // Nothing of this deployment landed in another trace.
    const ofDeployment = spans.filter((s) => s.attributes[ATTR_DEPLOYMENT_ID] === d.id);
    expect(ofDeployment.length).toBeGreaterThanOrEqual(6);
    expect(ofDeployment.every((s) => traceOf(s) === traceId)).toBe(true);
  });

  it('puts an approver’s click in the deployment’s trace', async () => {
    h = await startSlackHarness({ mode: 'http', ms: 300 });
    await h.slack.slashCommand({
      user: 'U-DEV1',
      channel: 'C-DEPLOYS',
      text: 'web 3.0.0 to production',
    });
    const d = await h.latest('web');
    expect(d.state).toBe('awaiting_approval');
    const ask = await eventually(() =>
      h?.slack
        .allMessages()
        .find(
          (m) =>
            m.channel === h?.slack.dmChannel('U-QA1') &&
            JSON.stringify(m.blocks ?? []).includes('"approve"'),
        ),
    );
    // Past each message's pacing interval (1 s), the calls the click causes are made at once,
    // under it; within it they would wait, and go with the run's later changes to the same
    // messages.
    await h.settled();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await h.slack.clickButton({
      user: 'U-QA1',
      channel: ask.channel,
      ts: ask.ts,
      actionId: 'approve',
    });
    // The click is acknowledged before it is handled: wait for the approval to land.
    await eventually(
      async () => (await h?.app.store.getDeployment(d.id))?.state !== 'awaiting_approval',
    );
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
    await h.settled();
    const spans = await eventually(() => {
      const all = exporter.getFinishedSpans();
      return all.some((s) => s.name === 'deployment.run') ? all : null;
    });

    const traceId = traceOf(only(spans, 'chat.command'));
    const click = only(spans, 'chat.action');
    expect(traceOf(click)).toBe(traceId);
    // Under the request that made the deployment, tagged with it and with who clicked.
    expect(parentOf(click)).toBe(idOf(only(spans, 'engine.request')));
    expect(click.attributes).toMatchObject({
      'enduser.id': 'U-QA1',
      'slipway.chat.action': 'approve',
      [ATTR_DEPLOYMENT_ID]: d.id,
      [ATTR_CORRELATION_ID]: d.correlationId,
    });
    // The updates the approval caused (its DM closed, the channel message) are under the click.
    const underClick = spans.filter((s) => parentOf(s) === idOf(click));
    expect(underClick.some((s) => s.name === 'chat.update')).toBe(true);
    const ofDeployment = spans.filter((s) => s.attributes[ATTR_DEPLOYMENT_ID] === d.id);
    expect(ofDeployment.every((s) => traceOf(s) === traceId)).toBe(true);
  });

  it('puts trace_id and span_id on log lines written inside a span, and only there', () => {
    const lines: string[] = [];
    const log = createLogger(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const ids = inSpan('test.span', {}, (span) => {
      log.child({ component: 'test' }).info('inside');
      return span.spanContext();
    });
    log.info('outside');
    const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId, trace_flags: '01' });
    expect(outside?.trace_id).toBeUndefined();
  });
});
