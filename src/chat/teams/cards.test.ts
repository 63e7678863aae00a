import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deployment } from '../test-support/deployments.js';
import type { MessageView, ViewAction } from '../types.js';
import { deploymentView, rejectReasonModal } from '../views/index.js';
import {
  type AdaptiveCard,
  type CardElement,
  FORM_MARKER,
  fits,
  INPUT_PREFIX,
  plainText,
  REFRESH_VERB,
  renderCard,
  renderFormCard,
} from './cards.js';
import { CARD_LIMITS as L, TRUNCATION_NOTE } from './limits.js';

type Json = Record<string, unknown>;

const of = (card: AdaptiveCard, type: string) => card.body.filter((e) => e.type === type);
const actionsOf = (card: AdaptiveCard) => of(card, 'ActionSet').flatMap((s) => s.actions as Json[]);

/** Fails the test on anything Teams would refuse or not show (limits.ts). */
function assertWithinLimits(card: AdaptiveCard): void {
  expect(fits({ type: 'message', attachments: [{ content: card }] })).toBe(true);
  expect(card.version).toBe('1.5');
  const sets = of(card, 'ActionSet');
  expect(sets.length).toBeLessThanOrEqual(L.actionSets);
  for (const set of sets) {
    const actions = set.actions as Json[];
    expect(actions.length).toBeLessThanOrEqual(L.actionsPerSet);
    for (const a of actions) expect((a.title as string).length).toBeLessThanOrEqual(L.actionTitle);
  }
}

const button = (i: number, extra: Partial<ViewAction> = {}): ViewAction => ({
  id: `b${i}`,
  label: `Button ${i}`,
  value: `v${i}`,
  ...extra,
});

describe('a view as an Adaptive Card', () => {
  it('renders a deployment: title coloured by tone, facts, buttons as Action.Execute, a refresh', () => {
    const d = deployment({ state: 'succeeded', finishedAt: new Date('2026-03-01T10:05:00Z') });
    const view = deploymentView(d);
    const card = renderCard(view, { nameOf: (id) => (id === 'U-ALICE' ? 'Alice' : null) });
    assertWithinLimits(card);
    const [title] = card.body;
    expect(title).toMatchObject({ type: 'TextBlock', weight: 'Bolder', color: 'Good' });
    expect(title?.text).toMatch(/^✅ /);
    const facts = of(card, 'FactSet')[0]?.facts as { title: string; value: string }[];
    expect(facts.length).toBe(view.fields?.length);
    const rollback = actionsOf(card).find(
      (a) => a.title === 'Roll back' || a.type === 'Action.ShowCard',
    );
    expect(rollback?.type).toBe('Action.ShowCard');
    expect(card.refresh?.action).toMatchObject({ type: 'Action.Execute', verb: REFRESH_VERB });
    expect(card.msteams).toEqual({ width: 'Full' });
  });

  it('puts a confirmation under the button, holding the real action', () => {
    const card = renderCard({
      title: 'x',
      tone: 'neutral',
      actions: [
        button(1, {
          id: 'rollback',
          label: 'Roll back…',
          value: 'd-1',
          style: 'danger',
          confirm: {
            title: 'Roll back web?',
            text: 'This deploys 1.4.1.',
            confirm: 'Roll back',
            deny: 'Keep',
          },
        }),
      ],
    });
    const [show] = actionsOf(card);
    expect(show).toMatchObject({ type: 'Action.ShowCard', title: 'Roll back…' });
    const inner = (show?.card as AdaptiveCard | undefined)?.actions?.[0];
    expect(inner).toEqual({
      type: 'Action.Execute',
      title: 'Roll back',
      verb: 'rollback',
      data: { value: 'd-1' },
      style: 'destructive',
    });
    expect(JSON.stringify(show?.card)).toContain('This deploys 1.4.1.');
  });

  it('maps styles, and links to Action.OpenUrl', () => {
    const card = renderCard({
      title: 'x',
      tone: 'waiting',
      actions: [button(1, { style: 'primary' }), button(2)],
      links: [
        { label: 'Run', url: 'https://ci.example/1' },
        { label: 'Bad', url: 'javascript:alert(1)' },
      ],
    });
    const actions = actionsOf(card);
    expect(actions.map((a) => [a.type, a.style ?? null])).toEqual([
      ['Action.Execute', 'positive'],
      ['Action.Execute', null],
      ['Action.OpenUrl', null],
    ]);
    expect(actions[0]?.data).toEqual({ value: 'v1' });
    expect(JSON.stringify(card.body.at(-1))).toContain('1 button(s) left out');
  });

  it('puts buttons in rows of six and leaves out what does not fit, saying so', () => {
    const card = renderCard({
      title: 'many',
      tone: 'neutral',
      actions: Array.from({ length: 40 }, (_, i) => button(i)),
    });
    assertWithinLimits(card);
    expect(actionsOf(card)).toHaveLength(L.actionsPerSet * L.actionSets);
    expect(JSON.stringify(card.body.at(-1))).toContain('10 button(s) left out');
  });

  it('leaves out a button whose reference is too long rather than cutting it', () => {
    const card = renderCard({
      title: 'x',
      tone: 'neutral',
      actions: [button(1, { value: 'x'.repeat(L.buttonValue + 1) }), button(2)],
    });
    expect(actionsOf(card).map((a) => a.verb)).toEqual(['b2']);
  });

  it('shows context as small subtle text and code blocks verbatim', () => {
    const card = renderCard({
      title: 'x',
      tone: 'failure',
      body: 'Failed:\n```\n[a](b) *c*\n```',
      context: ['by <@U-A>', 'corr-1'],
    });
    const rich = of(card, 'RichTextBlock')[0];
    expect(rich?.inlines).toEqual([
      { type: 'TextRun', text: '[a](b) *c*\n', fontType: 'Monospace' },
    ]);
    expect(card.body.at(-1)).toMatchObject({
      size: 'Small',
      isSubtle: true,
      text: 'by U-A · corr-1',
    });
  });

  it('cuts a body over the limit with a note, never breaking an entity or a link', () => {
    const body = `${'&amp; '.repeat(3000)}<https://x.example|end>`;
    const card = renderCard({ title: 'long', tone: 'failure', body });
    assertWithinLimits(card);
    const text = card.body[1]?.text as string;
    expect(text.length).toBeLessThanOrEqual(L.bodyText + 10);
    expect(text).toContain(TRUNCATION_NOTE);
    expect(text).not.toMatch(/&am?$|&amp\n/);
  });

  it('stays within Teams’ size for any view, however long its parts (property)', () => {
    const text = fc.string({ maxLength: 12_000, unit: 'binary' });
    const arbitraryView = fc.record({
      title: fc.string({ maxLength: 500 }),
      tone: fc.constantFrom('neutral', 'progress', 'waiting', 'success', 'failure', 'warning'),
      body: text,
      fields: fc.array(fc.record({ label: fc.string({ maxLength: 300 }), value: text }), {
        maxLength: 12,
      }),
      context: fc.array(fc.string({ maxLength: 3000 }), { maxLength: 5 }),
      actions: fc.array(
        fc.record({
          id: fc.string({ minLength: 1, maxLength: 30 }),
          label: fc.string({ maxLength: 200 }),
          value: fc.string({ maxLength: 2500 }),
        }),
        { maxLength: 40 },
      ),
    }) as fc.Arbitrary<MessageView>;
    fc.assert(
      fc.property(arbitraryView, (view) => {
        assertWithinLimits(renderCard(view));
      }),
      { numRuns: 60 },
    );
  });
});

describe('a form as a card with inputs', () => {
  it('renders the rejection reason form: inputs prefixed, submit carrying the action and value', () => {
    const d = deployment({ state: 'succeeded' });
    const card = renderFormCard(rejectReasonModal(d, { channel: 'teams:19:x', ts: '1' }));
    const input = card.body.find((e: CardElement) => e.type === 'Input.Text');
    expect(input).toMatchObject({
      id: `${INPUT_PREFIX}reason`,
      isMultiline: true,
      isRequired: true,
      maxLength: 2000,
    });
    const [submit, cancel] = card.actions ?? [];
    expect(submit).toMatchObject({
      type: 'Action.Execute',
      verb: 'review_reject',
      data: { value: d.id, [FORM_MARKER]: 1 },
      associatedInputs: 'auto',
    });
    expect(cancel).toMatchObject({ verb: REFRESH_VERB, title: 'Cancel' });
    // A form answers one person: it asks for no refresh of its own.
    expect(card.refresh).toBeUndefined();
    expect(card.body[1]?.text).toBe(
      '**web 1.4.2 on staging** will not be promoted. The owners see your reason in their message.',
    );
  });
});

describe('plain text for a message response', () => {
  it('has the title with its tone, the body and the fields, without markup', () => {
    const text = plainText(
      {
        title: 'Refused',
        tone: 'failure',
        body: '*web* is locked by <@U1>',
        fields: [{ label: 'Lock', value: '`prod`' }],
      },
      (id) => (id === 'U1' ? 'Ann' : null),
    );
    expect(text).toBe('❌ Refused\nweb is locked by Ann\nLock: `prod`');
  });
});
