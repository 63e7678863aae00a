import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type {
  Button,
  Confirm,
  HeaderBlock,
  InputBlock,
  ModalView,
  PlainTextElement,
  PlainTextInput,
} from '@slack/types';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { validateBlocks } from './blocks.js';
import { createLocalSlack, type LocalSlack } from './index.js';
import { type Limit, type LimitName, SLACK_LIMITS } from './limits.js';
import type { Block } from './types.js';
import { validateView } from './views.js';

// ---------------------------------------------------------------------------------------------
// The table against @slack/types: the doc comment of the field each limit names states the
// same number, and a plain_text-only field is typed PlainTextElement.

const TYPES_DIR = dirname(createRequire(import.meta.url).resolve('@slack/types'));

/** Every .d.ts of the installed @slack/types, as one text. */
function declarations(): string {
  const files = readdirSync(TYPES_DIR, { recursive: true, encoding: 'utf8' });
  return files
    .filter((f) => f.endsWith('.d.ts'))
    .map((f) => readFileSync(join(TYPES_DIR, f), 'utf8'))
    .join('\n');
}

/** The doc comment and declared type of `field` in `shape`, or in an interface it extends. */
function documented(
  source: string,
  shape: string,
  field: string,
): { doc: string; type: string } | null {
  const decl = new RegExp(`interface ${shape}(?:<[^>]*>)?(?: extends ([\\w, <>]+))? \\{`).exec(
    source,
  );
  if (!decl) return null;
  const body = bodyFrom(source, decl.index + decl[0].length);
  const prop = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${field}\\??: ([^;]+);`).exec(
    body,
  );
  if (prop?.[1] && prop[2]) return { doc: prop[1].replace(/\s*\*\s*/g, ' '), type: prop[2] };
  for (const parent of (decl[1] ?? '').split(',').map((p) => p.trim().replace(/<.*$/, ''))) {
    const found = parent ? documented(source, parent, field) : null;
    if (found) return found;
  }
  return null;
}

/** The text of an interface's body, from just after its `{` to the matching `}`. */
function bodyFrom(source: string, start: number): string {
  let depth = 1;
  for (let i = start; i < source.length; i++) {
    if (source[i] === '{') depth++;
    if (source[i] === '}' && --depth === 0) return source.slice(start, i);
  }
  return source.slice(start);
}

const ENTRIES = Object.entries(SLACK_LIMITS) as [LimitName, Limit][];

describe('the limits table', () => {
  const source = declarations();
  const typed = ENTRIES.filter(([, l]) => l.types);

  it.each(typed)('%s: @slack/types documents the same number', (_name, limit) => {
    const ref = limit.types;
    const found = ref ? documented(source, ref.shape, ref.field) : null;
    expect(found, `${ref?.shape}.${ref?.field} not found in @slack/types`).not.toBeNull();
    // "3000" and "3,000" alike.
    const numbers = (found?.doc.match(/\d[\d,]*/g) ?? []).map((n) => Number(n.replace(/,/g, '')));
    expect(numbers).toContain(limit.max);
  });

  it.each(typed.filter(([, l]) => l.plainOnly))(
    '%s: @slack/types types the field as plain text only',
    (_name, limit) => {
      const ref = limit.types;
      const found = ref ? documented(source, ref.shape, ref.field) : null;
      expect(found?.type).toBe('PlainTextElement');
    },
  );

  it('cites a page of Slack for every limit', () => {
    for (const [name, limit] of ENTRIES) {
      expect(limit.source, name).toMatch(/^https:\/\/(docs\.slack\.dev|api\.slack\.com)\//);
    }
  });

  it('agrees with @slack/types at compile time on where only plain text goes', () => {
    // Checked by tsc: a wrong type here fails `tsc --noEmit`, the runtime part is a no-op.
    expectTypeOf<HeaderBlock['text']>().toEqualTypeOf<PlainTextElement>();
    expectTypeOf<Button['text']>().toEqualTypeOf<PlainTextElement>();
    expectTypeOf<InputBlock['label']>().toEqualTypeOf<PlainTextElement>();
    expectTypeOf<NonNullable<Confirm['confirm']>>().toEqualTypeOf<PlainTextElement>();
    expectTypeOf<ModalView['title']>().toEqualTypeOf<PlainTextElement>();
    expectTypeOf<NonNullable<PlainTextInput['placeholder']>>().toEqualTypeOf<PlainTextElement>();
    expect(SLACK_LIMITS.headerText.plainOnly).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Each limit through the local Slack's Web API: at the limit accepted, one past it refused with
// Slack's own error shape.

type TextType = 'plain_text' | 'mrkdwn';
interface Case {
  /** message blocks (chat.postMessage) or a view (views.open) */
  blocks?: Block[];
  view?: Record<string, unknown>;
  /** Where Slack points: the limited value, or the text object holding it. */
  pointer: string;
  textObject?: boolean;
}

const x = (n: number) => 'x'.repeat(n);
const txt = (text: string, type: TextType = 'plain_text') => ({ type, text });
const button = (over: Record<string, unknown> = {}) => ({
  type: 'button',
  text: txt('Go'),
  action_id: 'go',
  value: 'v',
  ...over,
});
const actions = (over: Record<string, unknown>): Block[] => [
  { type: 'actions', elements: [button(over)] },
];
const confirm = (over: Record<string, unknown>) => ({
  title: txt('Sure?'),
  text: txt('It acts.'),
  confirm: txt('Yes'),
  deny: txt('No'),
  ...over,
});
const input = (over: Record<string, unknown> = {}, element: Record<string, unknown> = {}) => ({
  type: 'input',
  block_id: 'reason',
  label: txt('Why?'),
  element: { type: 'plain_text_input', action_id: 'reason', ...element },
  ...over,
});
const modal = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'modal',
  title: txt('Reject'),
  submit: txt('Reject'),
  close: txt('Cancel'),
  blocks: [input()],
  ...over,
});

/** A payload whose limited part has size `n`, and where Slack points at it. */
const CASES: Partial<Record<LimitName, (n: number, type?: TextType) => Case>> = {
  messageBlocks: (n) => ({
    blocks: Array.from({ length: n }, () => ({ type: 'divider' })),
    pointer: '/blocks',
  }),
  modalBlocks: (n) => ({
    view: modal({
      blocks: [input(), ...Array.from({ length: n - 1 }, () => ({ type: 'divider' }))],
    }),
    pointer: '/view/blocks',
  }),
  blockId: (n) => ({
    blocks: [{ type: 'divider', block_id: x(n) }],
    pointer: '/blocks/0/block_id',
  }),
  sectionText: (n) => ({
    blocks: [{ type: 'section', text: txt(x(n), 'mrkdwn') }],
    pointer: '/blocks/0/text',
    textObject: true,
  }),
  sectionFields: (n) => ({
    blocks: [{ type: 'section', fields: Array.from({ length: n }, () => txt('f', 'mrkdwn')) }],
    pointer: '/blocks/0/fields',
  }),
  sectionFieldText: (n) => ({
    blocks: [{ type: 'section', fields: [txt(x(n), 'mrkdwn')] }],
    pointer: '/blocks/0/fields/0',
    textObject: true,
  }),
  headerText: (n, type) => ({
    blocks: [{ type: 'header', text: txt(x(n), type) }],
    pointer: '/blocks/0/text',
    textObject: true,
  }),
  contextElements: (n) => ({
    blocks: [{ type: 'context', elements: Array.from({ length: n }, () => txt('c', 'mrkdwn')) }],
    pointer: '/blocks/0/elements',
  }),
  actionsElements: (n) => ({
    blocks: [
      {
        type: 'actions',
        elements: Array.from({ length: n }, (_, i) => button({ action_id: `a${i}` })),
      },
    ],
    pointer: '/blocks/0/elements',
  }),
  textObject: (n) => ({
    blocks: [{ type: 'context', elements: [txt(x(n), 'mrkdwn')] }],
    pointer: '/blocks/0/elements/0',
    textObject: true,
  }),
  buttonText: (n, type) => ({
    blocks: actions({ text: txt(x(n), type) }),
    pointer: '/blocks/0/elements/0/text',
    textObject: true,
  }),
  buttonValue: (n) => ({ blocks: actions({ value: x(n) }), pointer: '/blocks/0/elements/0/value' }),
  buttonUrl: (n) => ({
    blocks: actions({ url: `https://example.com/${x(n - 20)}` }),
    pointer: '/blocks/0/elements/0/url',
  }),
  actionId: (n) => ({
    blocks: actions({ action_id: x(n) }),
    pointer: '/blocks/0/elements/0/action_id',
  }),
  confirmTitle: (n, type) => ({
    blocks: actions({ confirm: confirm({ title: txt(x(n), type) }) }),
    pointer: '/blocks/0/elements/0/confirm/title',
    textObject: true,
  }),
  confirmText: (n) => ({
    blocks: actions({ confirm: confirm({ text: txt(x(n), 'mrkdwn') }) }),
    pointer: '/blocks/0/elements/0/confirm/text',
    textObject: true,
  }),
  confirmButton: (n, type) => ({
    blocks: actions({ confirm: confirm({ deny: txt(x(n), type) }) }),
    pointer: '/blocks/0/elements/0/confirm/deny',
    textObject: true,
  }),
  inputLabel: (n, type) => ({
    view: modal({ blocks: [input({ label: txt(x(n), type) })] }),
    pointer: '/view/blocks/0/label',
    textObject: true,
  }),
  inputHint: (n, type) => ({
    view: modal({ blocks: [input({ hint: txt(x(n), type) })] }),
    pointer: '/view/blocks/0/hint',
    textObject: true,
  }),
  placeholder: (n, type) => ({
    view: modal({ blocks: [input({}, { placeholder: txt(x(n), type) })] }),
    pointer: '/view/blocks/0/element/placeholder',
    textObject: true,
  }),
  inputLength: (n) => ({
    view: modal({ blocks: [input({}, { max_length: n })] }),
    pointer: '/view/blocks/0/element/max_length',
  }),
  modalTitle: (n, type) => ({
    view: modal({ title: txt(x(n), type) }),
    pointer: '/view/title',
    textObject: true,
  }),
  modalButton: (n, type) => ({
    view: modal({ submit: txt(x(n), type) }),
    pointer: '/view/submit',
    textObject: true,
  }),
  privateMetadata: (n) => ({
    view: modal({ private_metadata: x(n) }),
    pointer: '/view/private_metadata',
  }),
  callbackId: (n) => ({ view: modal({ callback_id: x(n) }), pointer: '/view/callback_id' }),
  externalId: (n) => ({ view: modal({ external_id: x(n) }), pointer: '/view/external_id' }),
};

/** What Slack says past a limit: "must be less than 3001 characters", "no more than 50 items". */
function expectedMessage(name: LimitName, limit: Limit, type?: TextType): string {
  if (type === 'mrkdwn') return 'must be plain_text';
  if (name === 'inputLength') return `must be an integer from 1 to ${limit.max}`;
  return limit.unit === 'items'
    ? `no more than ${limit.max} items allowed`
    : `must be less than ${limit.max + 1} characters`;
}

/** The local validator's verdict on a case, for the at-limit side. */
function problemsOf(c: Case): string[] {
  return c.view ? validateView(c.view) : validateBlocks(c.blocks ?? []);
}

let slack: LocalSlack;
let apiUrl: string;
const unlimited = { perMinute: 1_000_000, burst: 1_000, per: 'method' as const };

beforeAll(async () => {
  slack = createLocalSlack({
    channels: [{ id: 'C0DEPLOYS', name: 'deploys' }],
    rateLimits: { 'chat.postMessage': unlimited, 'views.open': unlimited },
  });
  ({ apiUrl } = await slack.start());
});
afterAll(() => slack.stop());

/** One Web API call as Slack's own clients make it; the JSON answer as Slack wrote it. */
async function call(c: Case): Promise<Record<string, unknown>> {
  const method = c.view ? 'views.open' : 'chat.postMessage';
  const args = c.view
    ? { trigger_id: '12345.98765.abcd2358fdea', view: c.view }
    : { channel: 'C0DEPLOYS', text: 'fallback', blocks: c.blocks };
  const res = await fetch(`${apiUrl}${method}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${slack.config.botToken}`,
      'content-type': 'application/json; charset=utf-8',
    },
    body: JSON.stringify(args),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const CASE_ENTRIES = ENTRIES.filter(([name]) => CASES[name]).map(
  ([name, limit]) => [name, limit, CASES[name] as NonNullable<(typeof CASES)[LimitName]>] as const,
);

describe('the local Slack past each limit', () => {
  it('has a case for every limit but the whole-payload ones', () => {
    const uncovered = ENTRIES.map(([n]) => n).filter((n) => !CASES[n]);
    expect(uncovered.sort()).toEqual(['messageText', 'viewBytes']);
  });

  it.each(CASE_ENTRIES)('%s: accepts exactly the limit', (_name, limit, build) => {
    expect(problemsOf(build(limit.max))).toEqual([]);
  });

  it.each(CASE_ENTRIES)('%s: refuses one past it as Slack does', async (name, limit, build) => {
    const c = build(limit.max + 1);
    const body = await call(c);
    const pointer = c.textObject ? `${c.pointer}/text` : c.pointer;
    const message = `${expectedMessage(name, limit)} [json-pointer:${pointer}]`;
    if (c.view) {
      expect(body).toMatchObject({ ok: false, error: 'invalid_arguments' });
    } else {
      expect(body).toMatchObject({
        ok: false,
        error: 'invalid_blocks',
        errors: expect.arrayContaining([message]),
      });
    }
    expect(body.response_metadata).toEqual({
      messages: expect.arrayContaining([`[ERROR] ${message}`]),
    });
  });

  it.each(CASE_ENTRIES.filter(([, l]) => l.plainOnly))(
    '%s: refuses mrkdwn where only plain_text goes',
    async (name, limit, build) => {
      const c = build(1, 'mrkdwn');
      const body = await call(c);
      const message = `${expectedMessage(name, limit, 'mrkdwn')} [json-pointer:${c.pointer}/type]`;
      expect(body).toMatchObject({ ok: false });
      expect(body.response_metadata).toEqual({
        messages: expect.arrayContaining([`[ERROR] ${message}`]),
      });
    },
  );

  it('refuses a view over 250 KB with view_too_large', async () => {
    const big = SLACK_LIMITS.viewBytes.max;
    const body = await call({
      view: modal({ blocks: [input({ label: txt(x(big)) })] }),
      pointer: '',
    });
    expect(body).toEqual({ ok: false, error: 'view_too_large' });
  });

  it('refuses text past 40,000 characters, which Slack would cut', async () => {
    const at = await callText(x(SLACK_LIMITS.messageText.max));
    expect(at.ok).toBe(true);
    const over = await callText(x(SLACK_LIMITS.messageText.max + 1));
    expect(over).toEqual({ ok: false, error: 'msg_too_long' });
  });
});

async function callText(text: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${slack.config.botToken}`,
      'content-type': 'application/json; charset=utf-8',
    },
    body: JSON.stringify({ channel: 'C0DEPLOYS', text }),
  });
  return (await res.json()) as Record<string, unknown>;
}
