import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import {
  driverBinding,
  environmentsInOrder,
  findEnvironment,
  findService,
  nextEnvironment,
  serviceEnvironments,
} from './lookup.js';
import type { Config } from './schema.js';

function config(text: string): Config {
  const result = parseConfig(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

// Written out of order on purpose: order, not position, makes the chain.
const CONFIG = config(`
environments:
  - { name: production, order: 2 }
  - { name: preview, order: 0 }
  - { name: staging, order: 1 }
services:
  - name: web
    driver: { driver: command, options: { deploy: [a], timeout: 2m } }
    environments:
      preview: {}
      production: { options: { timeout: 10m } }
  - name: api
    driver: { driver: command, options: { deploy: [b] } }
  - name: jobs
    driver: { driver: command, options: { deploy: [c], timeout: 1m } }
    environments:
      staging: { driver: kubernetes, options: { namespace: jobs } }
`);

describe('config lookups', () => {
  it('finds services and environments by name, null otherwise', () => {
    expect(findService(CONFIG, 'web')?.name).toBe('web');
    expect(findService(CONFIG, 'nope')).toBeNull();
    expect(findEnvironment(CONFIG, 'staging')?.order).toBe(1);
    expect(findEnvironment(CONFIG, 'nope')).toBeNull();
  });

  it('orders environments by their order', () => {
    expect(environmentsInOrder(CONFIG).map((e) => e.name)).toEqual([
      'preview',
      'staging',
      'production',
    ]);
  });

  it('merges environment options over the default driver options', () => {
    expect(driverBinding(CONFIG, 'web', 'production')).toEqual({
      driver: 'command',
      options: { deploy: ['a'], timeout: '10m' },
    });
    expect(driverBinding(CONFIG, 'web', 'preview')?.options).toEqual({
      deploy: ['a'],
      timeout: '2m',
    });
  });

  it('does not merge options across drivers', () => {
    expect(driverBinding(CONFIG, 'jobs', 'staging')).toEqual({
      driver: 'kubernetes',
      options: { namespace: 'jobs' },
    });
  });

  it('deploys a service only where it lists, or everywhere when it lists nothing', () => {
    expect(driverBinding(CONFIG, 'web', 'staging')).toBeNull();
    expect(serviceEnvironments(CONFIG, 'web')).toEqual(['preview', 'production']);
    expect(serviceEnvironments(CONFIG, 'api')).toEqual(['preview', 'staging', 'production']);
    expect(driverBinding(CONFIG, 'api', 'nope')).toBeNull();
    expect(driverBinding(CONFIG, 'nope', 'staging')).toBeNull();
  });

  it('follows the promotion chain, per service when asked', () => {
    expect(nextEnvironment(CONFIG, 'preview')?.name).toBe('staging');
    expect(nextEnvironment(CONFIG, 'preview', 'web')?.name).toBe('production');
    expect(nextEnvironment(CONFIG, 'production')).toBeNull();
    expect(nextEnvironment(CONFIG, 'nope')).toBeNull();
  });
});
