import type { KnownBlock } from '@slack/web-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessageView, ModalView, ViewAction } from '../types.js';
import {
  BLOCK_LIMITS as L,
  renderBlocks,
  renderModal,
  splitForThread,
  TRUNCATION_NOTE,
} from './blocks.js';
import { decodeModalMetadata } from './modal-metadata.js';

type Json = Record<string, unknown>;

/** Fails the test on any Block Kit limit Slack documents (limits.ts). */
function assertWithinLimits(rendered: { text: string; blocks: KnownBlock[] }): void {
  expect(rendered.text.length).toBeLessThanOrEqual(L.fallbackText);
  expect(rendered.blocks.length).toBeLessThanOrEqual(L.blocks);
  for (const block of rendered.blocks as unknown as Json[]) {
    const text = (block.text as Json | undefined)?.text as string | undefined;
    if (block.type === 'header') {
      expect(text?.length).toBeLessThanOrEqual(L.headerText);
      expect(text?.length).toBeGreaterThan(0);
    }
    if (block.type === 'section') {
      if (text !== undefined) expect(text.length).toBeLessThanOrEqual(L.sectionText);
      const fields = (block.fields as Json[] | undefined) ?? [];
      expect(fields.length).toBeLessThanOrEqual(L.fields);
      for (const f of fields) expect((f.text as string).length).toBeLessThanOrEqual(L.fieldText);
    }
    if (block.type === 'context') {
      const elements = block.elements as Json[];
      expect(elements.length).toBeLessThanOrEqual(L.contextElements);
      for (const e of elements)
        expect((e.text as string).length).toBeLessThanOrEqual(L.contextText);
    }
    if (block.type === 'actions') {
      const elements = block.elements as Json[];
      expect(elements.length).toBeLessThanOrEqual(L.actionsElements);
      for (const b of elements) {
        expect(((b.text as Json).text as string).length).toBeLessThanOrEqual(L.buttonText);
        expect(((b.value as string | undefined) ?? '').length).toBeLessThanOrEqual(L.buttonValue);
        expect(((b.url as string | undefined) ?? '').length).toBeLessThanOrEqual(L.buttonUrl);
        const confirm = b.confirm as Record<string, { text: string }> | undefined;
        if (confirm) {
          const length = (key: string) => confirm[key]?.text.length ?? 0;
          expect(length('title')).toBeLessThanOrEqual(L.confirmTitle);
          expect(length('text')).toBeLessThanOrEqual(L.confirmText);
          expect(length('confirm')).toBeLessThanOrEqual(L.confirmButton);
          expect(length('deny')).toBeLessThanOrEqual(L.confirmButton);
        }
      }
    }
  }
}

const button = (i: number, extra: Partial<ViewAction> = {}): ViewAction => ({
  id: `b${i}`,
  label: `Button ${i}`,
  value: `d-${i}`,
  ...extra,
});

describe('renderBlocks', () => {
  it('renders a view as header, body, fields, buttons and context', () => {
    const rendered = renderBlocks({
      title: 'web 1.4.2 → staging: deployed',
      tone: 'success',
      body: 'web 1.4.2 is live &amp; healthy',
      fields: [{ label: 'Service', value: 'web' }],
      context: ['`d-1`'],
      actions: [
        {
          id: 'rollback',
          label: 'Roll back',
          value: 'd-1',
          style: 'danger',
          confirm: { title: 'Roll back?', text: 'Sure?', confirm: 'Roll back', deny: 'Keep' },
        },
      ],
      links: [{ label: 'Open', url: 'https://example.test/' }],
    });
    expect(rendered.text).toBe('✅ web 1.4.2 → staging: deployed');
    expect(rendered.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: '✅ web 1.4.2 → staging: deployed', emoji: true },
      },
      { type: 'section', text: { type: 'mrkdwn', text: 'web 1.4.2 is live &amp; healthy' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Service*\nweb' }] },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: 'rollback',
            text: { type: 'plain_text', text: 'Roll back', emoji: true },
            value: 'd-1',
            style: 'danger',
            confirm: {
              title: { type: 'plain_text', text: 'Roll back?', emoji: true },
              text: { type: 'plain_text', text: 'Sure?', emoji: true },
              confirm: { type: 'plain_text', text: 'Roll back', emoji: true },
              deny: { type: 'plain_text', text: 'Keep', emoji: true },
              style: 'danger',
            },
          },
          {
            type: 'button',
            action_id: 'link:0',
            text: { type: 'plain_text', text: 'Open', emoji: true },
            url: 'https://example.test/',
          },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '`d-1`' }] },
    ]);
  });

  it('shows escaped text literally in a header, and titles with mentions as a bold section', () => {
    const plain = renderBlocks({ title: 'a &lt;b&gt; &amp; c', tone: 'neutral' });
    expect(plain.blocks[0]).toMatchObject({ type: 'header', text: { text: 'a <b> & c' } });
    expect(plain.text).toBe('a &lt;b&gt; &amp; c');
    const withMention = renderBlocks({ title: '<@U1> asked to deploy web', tone: 'progress' });
    expect(withMention.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*🚀 <@U1> asked to deploy web*' },
    });
  });

  it('cuts a long body to 3000 characters with a visible note, closing an open code block', () => {
    const body = `\`\`\`${'x'.repeat(2990)} &amp; ${'y'.repeat(100)}\`\`\``;
    const rendered = renderBlocks({ title: 't', tone: 'failure', body });
    const text = (rendered.blocks[1] as { text: { text: string } }).text.text;
    expect(text.length).toBeLessThanOrEqual(L.sectionText);
    expect(text.endsWith(`\`\`\`\n${TRUNCATION_NOTE}`)).toBe(true);
    expect(text).not.toMatch(/&am?p?\n/);
    assertWithinLimits(rendered);
  });

  it('never cuts inside an entity or a mention', () => {
    const body = `${'a'.repeat(2960)} &amp;&amp; <@U012ABCDEF> ${'b'.repeat(200)}`;
    const text = (
      renderBlocks({ title: 't', tone: 'neutral', body }).blocks[1] as { text: { text: string } }
    ).text.text;
    const kept = text.slice(0, text.indexOf(`\n${TRUNCATION_NOTE}`));
    expect(kept).not.toMatch(/&[a-z]*$/);
    expect(kept).not.toMatch(/<[^>]*$/);
  });

  it('splits more than 10 fields over sections and cuts each to 2000 characters', () => {
    const fields = Array.from({ length: 23 }, (_, i) => ({
      label: `F${i}`,
      value: 'v'.repeat(i === 0 ? 5000 : 5),
    }));
    const rendered = renderBlocks({ title: 't', tone: 'neutral', fields });
    const sections = rendered.blocks.filter((b) => b.type === 'section' && 'fields' in b);
    expect(sections.map((s) => (s as { fields: unknown[] }).fields.length)).toEqual([10, 10, 3]);
    const first = (sections[0] as { fields: { text: string }[] }).fields[0]?.text ?? '';
    expect(first.length).toBeLessThanOrEqual(L.fieldText);
    expect(first.endsWith(TRUNCATION_NOTE)).toBe(true);
    assertWithinLimits(rendered);
  });

  it('cuts button texts and dialogs, and leaves out buttons whose reference or link is too long', () => {
    const rendered = renderBlocks({
      title: 't',
      tone: 'neutral',
      actions: [
        button(1, {
          label: 'L'.repeat(100),
          confirm: {
            title: 'T'.repeat(200),
            text: 'X'.repeat(400),
            confirm: 'C'.repeat(40),
            deny: 'D'.repeat(40),
          },
        }),
        button(2, { value: 'v'.repeat(2001) }),
      ],
      links: [{ label: 'far', url: `https://example.test/${'p'.repeat(3000)}` }],
    });
    const actions = rendered.blocks.find((b) => b.type === 'actions') as {
      elements: { action_id: string; text: { text: string } }[];
    };
    expect(actions.elements.map((e) => e.action_id)).toEqual(['b1']);
    expect(actions.elements[0]?.text.text).toHaveLength(L.buttonText);
    expect(rendered.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '2 button(s) left out: too long for Slack' }],
    });
    assertWithinLimits(rendered);
  });

  it('puts at most 25 buttons in an actions block and at most 10 context elements', () => {
    const rendered = renderBlocks({
      title: 't',
      tone: 'neutral',
      actions: Array.from({ length: 30 }, (_, i) => button(i)),
      context: Array.from({ length: 14 }, (_, i) => `c${i}`),
    });
    const actions = rendered.blocks.filter((b) => b.type === 'actions') as {
      elements: unknown[];
    }[];
    expect(actions.map((a) => a.elements.length)).toEqual([25, 5]);
    const context = rendered.blocks.at(-1) as { elements: { text: string }[] };
    expect(context.elements).toHaveLength(10);
    expect(context.elements[9]?.text).toBe('c9 · c10 · c11 · c12 · c13');
  });

  it('keeps a message to 50 blocks, the last saying that it was cut', () => {
    const rendered = renderBlocks({
      title: 't',
      tone: 'neutral',
      fields: Array.from({ length: 300 }, (_, i) => ({ label: `F${i}`, value: 'v' })),
      actions: Array.from({ length: 500 }, (_, i) => button(i)),
    });
    expect(rendered.blocks).toHaveLength(L.blocks);
    expect(rendered.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: TRUNCATION_NOTE }],
    });
  });

  it('never goes over a limit, whatever the view', () => {
    const text = (max: number) =>
      fc.string({
        maxLength: max,
        unit: fc.constantFrom('a', ' ', '\n', '&amp;', '<@U1>', '`', '😀', 'é'),
      });
    const view: fc.Arbitrary<MessageView> = fc.record({
      title: text(300),
      tone: fc.constantFrom('neutral', 'progress', 'waiting', 'success', 'failure', 'warning'),
      body: text(4000),
      fields: fc.array(fc.record({ label: text(50), value: text(2500) }), { maxLength: 25 }),
      context: fc.array(text(400), { maxLength: 14 }),
      actions: fc.array(
        fc.record({
          id: fc.string({ minLength: 1, maxLength: 10 }),
          label: text(120),
          value: fc.string({ maxLength: 2100 }),
        }),
        { maxLength: 60 },
      ),
      links: fc.array(fc.record({ label: text(100), url: fc.webUrl() }), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(view, (v) => assertWithinLimits(renderBlocks(v))),
      { numRuns: 150 },
    );
  });
});

describe('splitForThread', () => {
  it('cuts at line ends into chunks no longer than the limit', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ${'.'.repeat(i % 50)}`);
    const chunks = splitForThread(lines.join('\n'), 500);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(500);
    expect(chunks.join('\n')).toBe(lines.join('\n'));
  });

  it('hard-splits a line longer than the limit, but not inside an entity', () => {
    const line = `${'a'.repeat(98)}&amp;${'b'.repeat(150)}`;
    const chunks = splitForThread(line, 100);
    expect(chunks[0]).toBe('a'.repeat(98));
    expect(chunks.join('')).toBe(line);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(100);
  });

  it('gives nothing for nothing and chunks of the limit given', () => {
    expect(splitForThread('', 3000)).toEqual([]);
    const chunks = splitForThread('z'.repeat(7000), 3000);
    expect(chunks.map((c) => c.length)).toEqual([3000, 3000, 1000]);
  });
});

describe('renderModal', () => {
  const form: ModalView = {
    actionId: 'review_reject',
    value: 'd-01J9Z3',
    origin: { channel: 'D0QA1', ts: '1767607200.000100' },
    title: 'Reject web 1.4.2-really-long-branch',
    submit: 'Reject',
    cancel: 'Cancel',
    body: '*web 1.4.2 on perf* will not be promoted.',
    inputs: [
      {
        id: 'reason',
        label: 'Why is it rejected?',
        multiline: true,
        placeholder: 'p'.repeat(200),
        maxLength: 5000,
      },
    ],
  };

  it('renders a form as a modal within Slack’s limits, its reference in private_metadata', () => {
    const modal = renderModal(form);
    expect(modal).toMatchObject({
      type: 'modal',
      callback_id: 'review_reject',
      submit: { type: 'plain_text', text: 'Reject' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '*web 1.4.2 on perf* will not be promoted.' },
        },
        {
          type: 'input',
          block_id: 'reason',
          label: { type: 'plain_text', text: 'Why is it rejected?' },
          element: {
            type: 'plain_text_input',
            action_id: 'reason',
            multiline: true,
            max_length: 3000,
          },
        },
      ],
    });
    expect(modal.title.text).toHaveLength(L.modalText);
    expect(modal.title.text.endsWith('…')).toBe(true);
    const input = modal.blocks[1] as unknown as { element: { placeholder: { text: string } } };
    expect(input.element.placeholder.text).toHaveLength(L.inputPlaceholder);
    expect(decodeModalMetadata(modal.private_metadata ?? '')).toEqual({
      value: 'd-01J9Z3',
      channel: 'D0QA1',
      ts: '1767607200.000100',
    });
  });

  it('refuses a reference too long to come back whole', () => {
    expect(() => renderModal({ ...form, value: 'x'.repeat(3000) })).toThrow(/at most 3000/);
    expect(decodeModalMetadata('{"value":1}')).toBeNull();
    expect(decodeModalMetadata('not json')).toBeNull();
  });
});

describe('empty texts', () => {
  it('never sends an empty text object, which Slack refuses with the whole message', () => {
    const { blocks } = renderBlocks({
      title: 'web',
      tone: 'neutral',
      actions: [
        {
          id: 'approve',
          label: '',
          value: 'd-1',
          confirm: { title: '', text: '', confirm: '', deny: '' },
        },
      ],
      links: [{ label: '', url: 'https://ci.example.com/runs/7' }],
    });
    const buttons = (blocks[1] as unknown as { elements: Json[] }).elements;
    expect(buttons.map((b) => (b.text as Json).text)).toEqual(['approve', 'ci.example.com']);
    const confirm = buttons[0]?.confirm as Record<string, Json>;
    for (const part of ['title', 'text', 'confirm', 'deny']) {
      expect(String(confirm[part]?.text ?? '')).not.toBe('');
    }
    const modal = renderModal({
      actionId: 'review_reject',
      value: 'd-1',
      origin: { channel: 'D0QA1', ts: '1767607200.000100' },
      title: '',
      submit: '',
      cancel: '',
      inputs: [{ id: 'reason', label: '' }],
    });
    expect([modal.title.text, modal.submit?.text, modal.close?.text]).toEqual([' ', ' ', ' ']);
  });
});
