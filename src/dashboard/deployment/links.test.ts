import { describe, expect, it } from 'vitest';
import { deployment } from '../../chat/test-support/deployments.js';
import { Config } from '../../config/schema.js';
import { createLogger } from '../../core/logger.js';
import { deploymentSubject } from '../../core/message-subject.js';
import type { PostedMessageRecord, Store } from '../../store/types.js';
import { chatLinks, configuredLinks, driverLinks, httpUrl, traceIdOf, traceLink } from './links.js';

const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('links from a deployment page', () => {
  it('links only absolute http(s) addresses', () => {
    expect(httpUrl('https://argocd.example.com/applications/web')).toBe(
      'https://argocd.example.com/applications/web',
    );
    expect(httpUrl('http://127.0.0.1:16686/trace/1')).toBe('http://127.0.0.1:16686/trace/1');
    expect(httpUrl('javascript:alert(1)')).toBeNull();
    expect(httpUrl('data:text/html,<b>x</b>')).toBeNull();
    expect(httpUrl('/relative')).toBeNull();
    expect(httpUrl(42)).toBeNull();
  });

  it("takes the trace id from a traceparent's second field, and links it through the template", () => {
    expect(traceIdOf(TRACE)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf(null)).toBeNull();
    expect(traceLink('http://jaeger:16686/trace/{traceId}', TRACE)).toEqual({
      label: 'Trace 4bf92f3577b34da6a3ce929d0e0e4736',
      url: 'http://jaeger:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(traceLink(null, TRACE)).toMatchObject({
      url: null,
      note: expect.stringContaining('SLIPWAY_TRACE_URL'),
    });
    expect(traceLink('http://jaeger/{traceId}', null)).toBeNull();
  });

  it("keeps the driver's links that are http(s), named as the driver named them", () => {
    const d = {
      environment: 'staging',
      driverRef: {
        url: 'https://web.staging.example.com',
        link: { label: 'Argo CD', url: 'javascript:alert(1)' },
      },
    } as Parameters<typeof driverLinks>[0];
    expect(driverLinks(d)).toEqual([
      { label: 'Open staging', url: 'https://web.staging.example.com' },
    ]);
    expect(driverLinks({ ...d, driverRef: null })).toEqual([]);
  });

  it("links the deployment's cards, not its direct messages, and survives a platform that fails", async () => {
    const id = 'd-0123456789ab';
    const record = (purpose: string, channel: string, ts: string | null): PostedMessageRecord => ({
      subject: deploymentSubject(id),
      purpose,
      address: channel,
      channel,
      ts,
      claimedAt: new Date(),
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const asked: string[] = [];
    const store = {
      listPostedMessages: async (subject: unknown) => {
        expect(subject).toEqual({ kind: 'deployment', deploymentId: id });
        return [
          record('main', 'C-WEB', '1.1'),
          record('origin', 'C-DEPLOYS', '2.2'),
          record('approver:U-QA1', 'D-QA1', '3.3'),
          record('origin', 'C-OTHER', null),
        ];
      },
    } as unknown as Store;
    const links = await chatLinks(
      {
        store,
        log: createLogger({ level: 'silent' }),
        messageLink: async (channel, ts) => {
          asked.push(`${channel} ${ts}`);
          if (channel === 'C-DEPLOYS') throw new Error('Slack is down');
          return `https://acme.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
        },
      },
      { id } as Parameters<typeof chatLinks>[1],
    );
    expect(asked).toEqual(['C-WEB 1.1', 'C-DEPLOYS 2.2']);
    expect(links).toEqual([
      { label: 'Chat message in #C-WEB', url: 'https://acme.slack.com/archives/C-WEB/p11' },
      {
        label: 'Chat message where it was asked, #C-DEPLOYS',
        url: null,
        note: 'the chat platform gives no link',
      },
    ]);
  });

  it("lists the config's links over the time the deployment ran", () => {
    const config = Config.parse({
      environments: [{ name: 'staging', order: 1 }],
      services: [{ name: 'web', links: { grafana: 'https://g.example/d/w?from={from}&to={to}' } }],
    });
    const startedAt = new Date('2026-03-01T10:00:00.000Z');
    const d = deployment({ startedAt, finishedAt: new Date(startedAt.getTime() + 60_000) });
    expect(configuredLinks(config, d)).toEqual([
      {
        label: 'Grafana',
        url: `https://g.example/d/w?from=${startedAt.getTime() - 300_000}&to=${startedAt.getTime() + 360_000}`,
      },
    ]);
  });
});
