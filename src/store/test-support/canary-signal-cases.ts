import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './fixtures.js';

export function canarySignalCases(ctx: SuiteContext): void {
  describe('canary signals', () => {
    it('keeps each deployment’s signals in the order given, with who and when', async () => {
      const store = ctx.store();
      const t = Date.parse('2025-03-01T10:00:00.000Z');
      expect(await store.listCanarySignals('d-1')).toEqual([]);
      const pause = await store.addCanarySignal({
        deploymentId: 'd-1',
        action: 'pause',
        actor: 'U0WEB0001',
        at: new Date(t),
      });
      await store.addCanarySignal({
        deploymentId: 'd-2',
        action: 'abort',
        actor: 'U0WEB0002',
        at: new Date(t + 500),
      });
      const resume = await store.addCanarySignal({
        deploymentId: 'd-1',
        action: 'resume',
        actor: 'U0WEB0002',
        at: new Date(t + 1_000),
      });
      expect(pause.id).not.toBe(resume.id);
      expect(await store.listCanarySignals('d-1')).toEqual([
        { id: pause.id, deploymentId: 'd-1', action: 'pause', actor: 'U0WEB0001', at: new Date(t) },
        {
          id: resume.id,
          deploymentId: 'd-1',
          action: 'resume',
          actor: 'U0WEB0002',
          at: new Date(t + 1_000),
        },
      ]);
    });
  });
}
