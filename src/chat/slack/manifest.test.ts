import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { botScopes, manifestYaml, slackManifest } from './manifest.js';

describe('Slack app manifest', () => {
  it('points every request URL at /slack/events in HTTP mode', () => {
    const manifest = parse(manifestYaml({ socket: false, url: 'https://slipway.example.com/' }));
    const url = 'https://slipway.example.com/slack/events';
    expect(manifest.features.slash_commands[0]).toMatchObject({
      command: '/deploy',
      url,
      should_escape: false,
    });
    expect(manifest.settings.event_subscriptions).toEqual({
      bot_events: ['app_mention'],
      request_url: url,
    });
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: url });
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('has no URLs in Socket Mode', () => {
    const manifest = slackManifest({ socket: true }) as {
      settings: Record<string, unknown>;
      features: { slash_commands: object[] };
    };
    expect(JSON.stringify(manifest)).not.toContain('request_url');
    expect(manifest.features.slash_commands[0]).not.toHaveProperty('url');
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  it('asks for the scopes Slipway uses and nothing more', () => {
    expect(botScopes()).toEqual([
      'app_mentions:read',
      'channels:history',
      'chat:write',
      'commands',
      'groups:history',
      'im:history',
      'im:write',
      'users:read',
    ]);
  });
});
