import { describe, expect, it } from 'vitest';
import { adaptiveCardProblems, executeActions } from './cards.js';
import { approvalCard } from './test-support/connector-client.js';

const problems = (card: unknown) => adaptiveCardProblems(card, '/c');

describe('Adaptive Card checks', () => {
  it('accepts the card Slipway posts, with inputs, columns and a ShowCard', () => {
    const card = {
      ...approvalCard('web 1.4.2'),
      body: [
        { type: 'TextBlock', text: 'web 1.4.2 to production' },
        {
          type: 'ColumnSet',
          columns: [{ type: 'Column', items: [{ type: 'FactSet', facts: [] }] }],
        },
        { type: 'Input.Text', id: 'reason', isMultiline: true },
      ],
      actions: [
        { type: 'Action.Execute', verb: 'approve', title: 'Approve' },
        {
          type: 'Action.ShowCard',
          title: 'Reject',
          card: { type: 'AdaptiveCard', body: [{ type: 'Input.Text', id: 'why' }] },
        },
        { type: 'Action.OpenUrl', title: 'Logs', url: 'https://ci.example/1' },
      ],
    };
    expect(problems(card)).toEqual([]);
  });

  it('names each problem and where it is', () => {
    const card = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'TextBlock' },
        { type: 'Container', items: [{ type: 'Blink', text: 'x' }, { type: 'Input.Toggle' }] },
        { type: 'ActionSet', actions: [{ type: 'Action.Execute', title: 'Go' }] },
      ],
      actions: [{ type: 'Action.OpenUrl', title: 'Docs' }],
    };
    expect(problems(card)).toEqual([
      'TextBlock has no text (at /c/body/0)',
      'unknown element type Blink (at /c/body/1/items/0)',
      'Input.Toggle has no id (at /c/body/1/items/1)',
      'Action.Execute has no verb (at /c/body/2/actions/0)',
      'Action.OpenUrl has no url (at /c/actions/0)',
    ]);
  });

  it('refuses what is not an Adaptive Card of a known version', () => {
    expect(problems({ type: 'HeroCard', version: '1.5', body: [] })).toContain(
      'type must be AdaptiveCard (at /c/type)',
    );
    expect(
      problems({ type: 'AdaptiveCard', version: '2.0', body: [{ type: 'TextBlock', text: 'x' }] }),
    ).toEqual(['version must be one of 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6 (at /c/version)']);
    expect(problems({ type: 'AdaptiveCard', version: '1.5', body: {} })).toContain(
      'body must be an array (at /c/body)',
    );
    expect(problems({ type: 'AdaptiveCard', version: '1.5' })).toEqual([
      'the card has neither body nor actions (at /c)',
    ]);
  });

  it('refuses Action.Execute below version 1.5, where Teams does not run it', () => {
    expect(problems({ ...approvalCard('x'), version: '1.4' })).toEqual([
      'Action.Execute needs version 1.5 or later in Teams (at /c/version)',
    ]);
  });

  it('finds the buttons a person can press, but not the automatic refresh', () => {
    const card = {
      ...approvalCard('x'),
      refresh: { action: { type: 'Action.Execute', verb: 'refresh' }, userIds: [] },
    };
    expect(problems(card)).toEqual([]);
    expect(executeActions(card).map((a) => a.verb)).toEqual(['approve']);
  });
});
