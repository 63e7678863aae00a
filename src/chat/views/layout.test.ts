import { describe, expect, it } from 'vitest';
import type { MessageView } from '../types.js';
import { buttonRows } from './layout.js';

const view: MessageView = {
  title: 't',
  tone: 'neutral',
  actions: [
    { id: 'approve', label: 'Approve', value: 'd-1' },
    { id: 'reject', label: 'Reject', value: 'x'.repeat(50) },
    { id: 'cancel', label: 'Cancel', value: 'd-1' },
  ],
  links: [
    { label: 'Run', url: 'https://ci.example.com/run/1' },
    { label: 'Bad', url: 'ftp://example.com' },
    { label: 'App', url: 'https://web.example.com' },
  ],
};

/** A platform that carries references up to 10 characters and web links. */
const layout = {
  action: (a: { id: string; value: string }) => (a.value.length > 10 ? null : a.id),
  link: (l: { url: string }, i: number) => (l.url.startsWith('https://') ? `link:${i}` : null),
};

describe('buttonRows', () => {
  it('lays out actions, then links, in rows, leaving out and counting what cannot be carried whole', () => {
    expect(buttonRows(view, { ...layout, perRow: 2 })).toEqual({
      rows: [
        ['approve', 'cancel'],
        ['link:0', 'link:2'],
      ],
      dropped: 2,
    });
  });

  it('leaves out the buttons after the most a platform shows, and counts them', () => {
    expect(buttonRows(view, { ...layout, perRow: 2, max: 3 })).toEqual({
      rows: [['approve', 'cancel'], ['link:0']],
      dropped: 3,
    });
  });

  it('has no rows for a view without buttons', () => {
    expect(buttonRows({ title: 't', tone: 'success' }, { ...layout, perRow: 5 })).toEqual({
      rows: [],
      dropped: 0,
    });
  });
});
