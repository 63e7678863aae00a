import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { ANONYMOUS_TEAMS } from '../../core/settings.js';
import { teamsReferences, teamsRouteFromSettings, teamsToken } from './index.js';

const anonymous = ANONYMOUS_TEAMS;
const deps = {
  admission: { admit: () => {} },
  references: teamsReferences(),
  token: undefined,
  log: pino({ level: 'silent' }),
};

describe('the Teams factories', () => {
  it('gets no token in anonymous local use, and one with an app id', () => {
    expect(teamsToken(anonymous)).toBeUndefined();
    const configured = {
      ...anonymous,
      anonymous: false,
      appId: '11111111-2222-3333-4444-555555555555',
      appPassword: 'p',
      tenantId: 't',
    };
    expect(typeof teamsToken(configured)).toBe('function');
  });

  it('mounts POST /api/messages anonymously on loopback only', async () => {
    const route = await teamsRouteFromSettings(anonymous, { ...deps, listenHost: '127.0.0.1' });
    expect([route.method, route.path]).toEqual(['POST', '/api/messages']);
    await expect(
      teamsRouteFromSettings(anonymous, { ...deps, listenHost: '0.0.0.0' }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
