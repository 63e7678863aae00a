import { describe, expect, it } from 'vitest';
import { chooseEntry } from './history.js';
import type { Override } from './override.js';

const override: Override = { kind: 'kustomize', image: 'registry.test/web' };
const entry = (id: number, version: string | null) => ({
  id,
  revision: 'c'.repeat(40),
  source: version ? { kustomize: { images: [`registry.test/web:${version}`] } } : { path: 'x' },
});

describe('chooseEntry', () => {
  const history = [entry(3, '1.0'), entry(4, '1.1'), entry(5, '1.0'), entry(6, '1.2')];

  it('takes the newest entry that ran the version', () => {
    expect(chooseEntry('web', history, '1.0', '1.2', override)).toMatchObject({
      entry: { id: 5 },
      version: '1.0',
      how: 'history 5 (1.0)',
    });
  });

  it('else the newest that does not run what is being replaced', () => {
    expect(chooseEntry('web', history, null, '1.2', override).entry.id).toBe(5);
    expect(chooseEntry('web', history, '0.9', '1.2', override).how).toBe(
      '0.9 is no longer in the history; the previous entry, history 5 (1.0)',
    );
  });

  it('else the second newest, named by its revision when it has no version', () => {
    const unknown = [entry(1, null), entry(2, null)];
    expect(chooseEntry('web', unknown, null, null, override)).toMatchObject({
      entry: { id: 1 },
      version: null,
      how: 'the previous entry, history 1 (ccccccc)',
    });
  });
});
