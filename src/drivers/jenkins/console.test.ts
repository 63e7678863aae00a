import { afterEach, describe, expect, it } from 'vitest';
import type { JenkinsClient } from './client.js';
import { ConsoleTail, lastMeaningfulLine, OUTPUT_LIMIT, readConsole } from './console.js';
import { makeWorld, until, type World } from './test-support/world.js';

let world: World;
afterEach(() => world?.close());

const CONSOLE = /\/logText\/progressiveText$/;

describe('jenkins console', () => {
  it('gives the console to `slipway logs` and the dashboard: nothing while queued, then as it grows, then all of it', async () => {
    world = await makeWorld();
    world.jenkins.planNext({
      queuePolls: 3,
      lines: ['+ ./deploy.sh web 1.2.3', 'deploying… ✓ pods 3/3'],
      lineMs: 20,
      hangs: true,
    });
    const ctx = world.context();
    const handle = await world.driver.deploy(ctx);
    expect(await world.driver.logs?.(ctx, handle)).toBeNull();

    const watching = world.driver.watch(ctx, handle);
    await until(() => ctx.reported.some((t) => t.includes('pods 3/3')));
    const during = await world.driver.logs?.(ctx, handle);
    expect(during).toMatchObject({
      running: true,
      location: `${world.jenkins.url}/job/platform/job/deploy-web/1/console`,
    });
    expect(during?.text).toMatch(
      /^Started by user slipway\n(.*\n)*\+ \.\/deploy\.sh web 1\.2\.3\n/,
    );

    await world.driver.cancel?.(ctx, handle);
    await watching;
    const after = await world.driver.logs?.(ctx, handle);
    expect(after?.running).toBe(false);
    expect(after?.text).toBe(world.jenkins.builds('platform/deploy-web')[0]?.console);
    expect(
      after?.text.endsWith('deploying… ✓ pods 3/3\nAborted by slipway\nFinished: ABORTED\n'),
    ).toBe(true);
    // Each read started where the one before ended, by the byte offset Jenkins gave.
    const starts = world.jenkins.called('GET', CONSOLE).map((c) => Number(c.query.start));
    expect(starts.some((s) => s > 0)).toBe(true);
  });

  it('reads a running console in as many requests as Jenkins needs', async () => {
    world = await makeWorld({ double: { maxLinesPerRead: 2 } });
    const lines = Array.from({ length: 7 }, (_, i) => `line ${i + 1}`);
    world.jenkins.planNext({ queuePolls: 0, lines, lineMs: 5, hangs: true });
    const ctx = world.context();
    const handle = await world.driver.deploy(ctx);
    await world.driver.logs?.(ctx, handle); // takes it out of the queue
    await until(() => world.jenkins.builds('platform/deploy-web')[0]?.console.includes('line 7'));
    const before = world.jenkins.called('GET', CONSOLE).length;
    const out = await world.driver.logs?.(ctx, handle);
    expect(out?.running).toBe(true);
    expect(out?.text).toBe(world.jenkins.builds('platform/deploy-web')[0]?.console);
    // Ten lines, two a read: five reads and one that found nothing more.
    expect(world.jenkins.called('GET', CONSOLE).length - before).toBe(6);
    await world.driver.cancel?.(ctx, handle);
  });

  it('keeps the last part of a console longer than it keeps, starting at a line', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const whole = Buffer.from(line.repeat(Math.ceil((OUTPUT_LIMIT * 1.5) / line.length)));
    const api = {
      async console(_job: string, _n: number, start: number) {
        const end = Math.min(whole.length, start + 256 * 1024);
        return { bytes: whole.subarray(start, end), size: end, more: end < whole.length };
      },
    } as unknown as JenkinsClient;
    const out = await readConsole(api, 'deploy', 3, 'https://ci/job/deploy/3/console');
    const [note, ...rest] = out.text.split('\n');
    expect(note).toMatch(
      /^\[the first \d+ bytes or more are not shown; the whole console is at https:\/\/ci\/job\/deploy\/3\/console\]$/,
    );
    expect(rest.slice(0, -1).every((l) => l === 'x'.repeat(99))).toBe(true);
    expect(out.text.length).toBeLessThanOrEqual(OUTPUT_LIMIT + 200);
    expect(out.text.length).toBeGreaterThan(OUTPUT_LIMIT - 200);
    expect(out.running).toBe(false);
  });

  it('names the last line that says something, not Jenkins’ own closing lines', () => {
    expect(
      lastMeaningfulLine(
        '\u001b[31mERROR: script returned exit code 1\u001b[0m\n[Pipeline] }\n[Pipeline] End of Pipeline\nFinished: FAILURE\n',
      ),
    ).toBe('ERROR: script returned exit code 1');
    expect(lastMeaningfulLine('Finished: SUCCESS\n')).toBeUndefined();
    expect(lastMeaningfulLine(`${'y'.repeat(300)}\n`)).toHaveLength(200);
  });

  it('decodes a character split between two reads', () => {
    const tail = new ConsoleTail();
    const bytes = Buffer.from('pods ✓ ready\n');
    const cut = bytes.indexOf(0x9c); // inside the three bytes of ✓
    tail.append({ bytes: bytes.subarray(0, cut), size: cut });
    tail.append({ bytes: bytes.subarray(cut), size: bytes.length });
    expect(tail.offset).toBe(bytes.length);
    expect(tail.lastLine()).toBe('pods ✓ ready');
    // Jenkins starts over from 0 when the offset asked is past its end.
    tail.append({ bytes: Buffer.from('new log\n'), size: 8 });
    expect(tail.lastLine()).toBe('new log');
  });
});
