import { describe, expect, it } from 'vitest';
import { ACTIVE_STATES } from '../core/deployment.js';
import { ConfigError } from '../core/errors.js';
import { parseDatabaseUrl } from './index.js';
import { ACTIVE_STATES_AT_001 } from './migrations/001-initial.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['sqlite:///var/lib/slipway/slipway.db', '/var/lib/slipway/slipway.db'],
    ['sqlite://.slipway/slipway.db', '.slipway/slipway.db'],
    ['sqlite:data/slipway.db', 'data/slipway.db'],
    ['sqlite:///tmp/with%20space.db', '/tmp/with space.db'],
    ['/abs/slipway.db', '/abs/slipway.db'],
    ['./rel/slipway.db', './rel/slipway.db'],
    [':memory:', ':memory:'],
    ['sqlite::memory:', ':memory:'],
  ])('reads %s as the SQLite file %s', (url, path) => {
    expect(parseDatabaseUrl(url)).toEqual({ kind: 'sqlite', path });
  });

  it('reads Postgres URLs and takes the schema out of the connection string', () => {
    expect(parseDatabaseUrl('postgres://u:p@db:5432/slipway?schema=ops&sslmode=require')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u:p@db:5432/slipway?sslmode=require',
      schema: 'ops',
    });
    expect(parseDatabaseUrl('postgresql://db/slipway')).toEqual({
      kind: 'postgres',
      connectionString: 'postgresql://db/slipway',
      schema: undefined,
    });
  });

  it('refuses what it cannot open, without echoing a password', () => {
    expect(() => parseDatabaseUrl('')).toThrow(ConfigError);
    expect(() => parseDatabaseUrl('sqlite://')).toThrow(/names no file/);
    const mysql = () => parseDatabaseUrl('mysql://root:hunter2@db/slipway');
    expect(mysql).toThrow(/unsupported database URL scheme/);
    expect(mysql).not.toThrow(/hunter2/);
  });
});

describe('migrations', () => {
  it('built the one-active-deployment index from today’s ACTIVE_STATES', () => {
    // If this fails, ACTIVE_STATES changed: add a migration that rebuilds
    // deployments_one_active_per_target with the new list.
    expect([...ACTIVE_STATES].sort()).toEqual([...ACTIVE_STATES_AT_001].sort());
  });
});
