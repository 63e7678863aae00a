import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { createRouter } from './router.js';

describe('router', () => {
  const router = createRouter();
  router.add({ method: 'GET', path: '/api/deployments/:id', handler: () => undefined });

  it('decodes %-escaped parameters', () => {
    expect(router.match('GET', '/api/deployments/d%2D1%20x')).toMatchObject({
      params: { id: 'd-1 x' },
    });
  });

  it('refuses a malformed %-escape as a bad request, saying why', () => {
    expect(() => router.match('GET', '/api/deployments/%E0%A4%A')).toThrow(ValidationError);
    expect(() => router.match('GET', '/api/deployments/%E0%A4%A')).toThrow(
      'The path segment "%E0%A4%A" has a malformed %-escape',
    );
  });
});
