// The load generator: its own process, so it never shares an event loop with the server it
// measures. Usage: node --import tsx bench/load.ts '<LoadSpec as JSON>'; prints a LoadResult.
import { Agent, request } from 'node:http';
import type { LoadResult, LoadSpec } from './load-spec.js';
import { epochMs, type SignedRequest, signedSlashCommand } from './slack-request.js';
import { summarize } from './stats.js';

interface Outcome {
  status: number | null;
  error: string | null;
  ms: number;
  /** Acknowledged with Slipway's "busy, nothing was done" answer: refused, not taken. */
  refused: boolean;
  /** Acknowledged with the command's answer in the body (not a refusal). */
  answered: boolean;
}

const BUSY = 'Slipway is busy';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const target = new URL(spec.url);

function build(n: number): SignedRequest {
  const triggerId = `${spec.triggerPrefix}.${n}`;
  return signedSlashCommand(spec.secret, {
    // `{n}`: a fresh version each request (accepted deploys), unique across runs by the prefix.
    text: spec.text.replaceAll('{n}', `${spec.runId ?? 0}.${n}`),
    ...(spec.command ? { command: spec.command } : {}),
    user: spec.user,
    channel: spec.channel,
    triggerId,
    responseUrl: `${spec.responseUrl}/${triggerId}/${epochMs().toFixed(3)}`,
  });
}

function send(signed: SignedRequest, agent: Agent | false): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: signed.headers,
        timeout: spec.timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            error: null,
            ms: performance.now() - t0,
            refused: body.includes(BUSY),
            answered: body.length > 0 && !body.includes(BUSY),
          }),
        );
        res.on('error', (err) => resolve(failed(err, t0)));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err) => resolve(failed(err, t0)));
    req.end(signed.body);
  });
}

/** Tells the orchestrator when the measured window starts and ends (it samples the server's CPU). */
function mark(name: 'window-start' | 'window-end'): void {
  process.stdout.write(`@${name}\n`);
}

function failed(err: Error, t0: number): Outcome {
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  return { status: null, error: code, ms: performance.now() - t0, refused: false, answered: false };
}

function tally(outcomes: Outcome[]) {
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.error) errors[o.error] = (errors[o.error] ?? 0) + 1;
    else statuses[String(o.status)] = (statuses[String(o.status)] ?? 0) + 1;
  }
  return { statuses, errors };
}

/** `concurrency` workers on keep-alive connections; only requests started after warm-up count. */
async function closedLoop(): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const start = performance.now();
  const measureFrom = start + spec.warmupMs;
  const stopAt = measureFrom + spec.durationMs;
  const measured: Outcome[] = [];
  let sent = 0;
  let answeredInAck = 0;
  let lastEnd = measureFrom;
  let cpuAtWindow: NodeJS.CpuUsage | null = null;
  const worker = async () => {
    for (;;) {
      const now = performance.now();
      if (now >= stopAt) return;
      if (now >= measureFrom && !cpuAtWindow) {
        cpuAtWindow = process.cpuUsage();
        mark('window-start');
      }
      const signed = build(sent++);
      const outcome = await send(signed, agent);
      if (outcome.answered) answeredInAck++;
      if (now >= measureFrom) {
        measured.push(outcome);
        lastEnd = Math.max(lastEnd, performance.now());
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  mark('window-end');
  const cpu = process.cpuUsage(cpuAtWindow ?? undefined);
  agent.destroy();
  const windowMs = lastEnd - measureFrom;
  const answered = measured.filter((o) => o.status === 200);
  // Throughput counts commands taken: a "busy" refusal is an answer, not work done.
  const taken = answered.filter((o) => !o.refused);
  return {
    mode: 'closed',
    sent,
    measured: measured.length,
    rps: Math.round((taken.length / windowMs) * 1000),
    windowMs: Math.round(windowMs),
    latency: summarize(answered.map((o) => o.ms)),
    ...tally(measured),
    missed: measured.length - answered.length,
    refused: answered.length - taken.length,
    answeredInAck,
    cpuShare: Math.round(((cpu.user + cpu.system) / 1000 / windowMs) * 100) / 100,
  };
}

/** `count` requests at once, each on a new connection (agent: false), as many clients would. */
async function burst(): Promise<LoadResult> {
  const signed = Array.from({ length: spec.count }, (_, n) => build(n));
  mark('window-start');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const outcomes = await Promise.all(signed.map((s) => send(s, false)));
  const windowMs = performance.now() - t0;
  mark('window-end');
  const cpu = process.cpuUsage(cpu0);
  const ok = outcomes.filter((o) => o.status === 200);
  return {
    mode: 'burst',
    sent: outcomes.length,
    measured: outcomes.length,
    rps: Math.round((ok.filter((o) => !o.refused).length / windowMs) * 1000),
    windowMs: Math.round(windowMs),
    // Every request counts here, failures at the time they failed: a lost answer is a miss.
    latency: summarize(outcomes.map((o) => o.ms)),
    ...tally(outcomes),
    missed: outcomes.filter((o) => o.status !== 200 || o.ms > spec.deadlineMs).length,
    refused: ok.filter((o) => o.refused).length,
    answeredInAck: ok.filter((o) => o.answered).length,
    cpuShare: Math.round(((cpu.user + cpu.system) / 1000 / windowMs) * 100) / 100,
  };
}

const result = spec.mode === 'burst' ? await burst() : await closedLoop();
process.stdout.write(`${JSON.stringify(result)}\n`);
