import { describe, expect, it } from 'vitest';
import { Config } from '../config/schema.js';
import { doraTargets, productionTargets } from './targets.js';

const binding = { driver: 'command', options: { deploy: ['true'] } };

describe('production-like targets', () => {
  it('takes the protected environments a service deploys to, else the last of its chain', () => {
    const config = Config.parse({
      environments: [
        { name: 'preview', order: 0 },
        { name: 'staging', order: 1 },
        { name: 'eu', order: 2, protected: true },
        { name: 'us', order: 3, protected: true },
      ],
      services: [
        { name: 'web', driver: binding },
        { name: 'docs', driver: binding, environments: { preview: {}, staging: {} } },
      ],
    });
    expect(productionTargets(config)).toEqual([
      { service: 'web', environment: 'eu' },
      { service: 'web', environment: 'us' },
      // Nothing protected where docs deploys: its last environment is its production.
      { service: 'docs', environment: 'staging' },
    ]);
    expect(doraTargets(config, { service: 'docs' })).toEqual([
      { service: 'docs', environment: 'staging' },
    ]);
    expect(doraTargets(config, { environment: 'preview' })).toEqual([
      { service: 'web', environment: 'preview' },
      { service: 'docs', environment: 'preview' },
    ]);
    expect(doraTargets(config, { service: 'docs', environment: 'us' })).toBe(
      'docs does not deploy to us: it deploys to preview, staging.',
    );
  });
});
