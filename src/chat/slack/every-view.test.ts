import type { RespondArguments, ViewErrorsResponseAction } from '@slack/bolt';
import type { KnownBlock, ModalView as SlackModal } from '@slack/types';
import type {
  ChatPostEphemeralArguments,
  ChatPostMessageArguments,
  ChatUpdateArguments,
  ViewsOpenArguments,
} from '@slack/web-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { checkContent } from '../../local-slack/blocks.js';
import { createLocalSlack, type LocalSlack } from '../../local-slack/index.js';
import { SLACK_LIMITS } from '../../local-slack/limits.js';
import type { Block } from '../../local-slack/types.js';
import { validateView } from '../../local-slack/views.js';
import type { ChatClient, MessageView } from '../types.js';
import { slackAckBody } from './ack.js';
import { BLOCK_LIMITS, renderBlocks, renderModal, type SlackMessage } from './blocks.js';
import { createSlackClient, responseBody, type SlackMethodArgs } from './client.js';
import { everyMessageView, everyModalView } from './test-support/every-view.js';

/**
 * Every view Slipway shows, with the longest texts it accepts, through the Slack renderer (typed
 * with @slack/types, so its shape is checked by tsc) and the local Slack's run-time checks of
 * Slack's published limits (src/local-slack/limits.ts). A view that fails is a renderer bug:
 * the renderer cuts to fit, the checks stay as Slack's.
 */

const MESSAGES = everyMessageView();
const MODALS = everyModalView();

/** What goes over the wire: the JSON the Web API receives. */
function wire<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

describe('every view rendered for Slack', () => {
  it('covers every deployment state of both kinds, and the other messages', () => {
    const names = MESSAGES.map(([name]) => name);
    expect(names.filter((n) => n.startsWith('card deploy '))).toHaveLength(11);
    expect(names.filter((n) => n.startsWith('card rollback '))).toHaveLength(11);
    for (const expected of [
      'card canary step',
      'card verification asks',
      'approval request owner',
      'review rejected, owners',
      'lock taken',
      'help',
      'status of many targets',
      'alert group',
    ]) {
      expect(names).toContain(expected);
    }
    expect(MODALS.length).toBeGreaterThan(0);
  });

  it.each(MESSAGES)('%s: a message the local Slack accepts', (_name, view) => {
    const message: SlackMessage = renderBlocks(view);
    const sent = wire(message);
    expect(checkContent(sent.text as string, sent.blocks as Block[])).toBeUndefined();
    // The same blocks answer a slash command or a click through its response_url.
    const answer = wire(responseBody(view, { ephemeral: true }));
    expect(checkContent(answer.text as string, answer.blocks as Block[])).toBeUndefined();
  });

  it.each(MODALS)('%s: a modal the local Slack accepts', (_name, view) => {
    expect(validateView(wire(renderModal(view)))).toEqual([]);
  });
});

describe('any view, rendered for Slack', () => {
  it('is accepted by the local Slack whatever its texts and sizes', () => {
    // Any code point (emoji and other astral characters count once for Slack, twice in JS).
    const text = (maxLength: number) => fc.string({ maxLength, unit: 'binary' });
    const view = fc.record({
      title: text(400),
      tone: fc.constantFrom('neutral', 'progress', 'waiting', 'success', 'failure', 'warning'),
      body: text(8000),
      fields: fc.array(fc.record({ label: text(100), value: text(3000) }), { maxLength: 30 }),
      context: fc.array(text(4000), { maxLength: 14 }),
      actions: fc.uniqueArray(
        fc.record({
          id: fc.stringMatching(/^[a-z_]{1,20}$/),
          label: text(120),
          value: text(2200),
          style: fc.constantFrom(undefined, 'primary', 'danger'),
          confirm: fc.option(
            fc.record({ title: text(150), text: text(400), confirm: text(40), deny: text(40) }),
            { nil: undefined },
          ),
        }),
        { maxLength: 30, selector: (a) => a.id },
      ),
      links: fc.array(
        fc.record({ label: text(120), url: fc.webUrl().map((u) => u.slice(0, 3200)) }),
        { maxLength: 5 },
      ),
    });
    fc.assert(
      fc.property(view, (v) => {
        const message = wire(renderBlocks(JSON.parse(JSON.stringify(v)) as MessageView));
        expect(checkContent(message.text as string, message.blocks as Block[])).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('makes a modal the local Slack accepts whatever its texts', () => {
    const text = (maxLength: number) => fc.string({ maxLength, unit: 'binary' });
    const modal = fc.record({
      title: text(100),
      submit: text(100),
      cancel: text(100),
      body: text(5000),
      inputs: fc.uniqueArray(
        fc.record({
          id: fc.stringMatching(/^[a-z_]{1,40}$/),
          label: text(2500),
          multiline: fc.boolean(),
          placeholder: text(300),
          maxLength: fc.integer({ min: 1, max: 10_000 }),
        }),
        { minLength: 1, maxLength: 20, selector: (i) => i.id },
      ),
    });
    fc.assert(
      fc.property(modal, (m) => {
        const view = {
          ...m,
          actionId: 'review_reject',
          value: 'd-1',
          origin: { channel: 'C1', ts: '1.2' },
        };
        expect(validateView(wire(renderModal(view)))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe("what Slipway sends, in Slack's own types", () => {
  it('types every payload with @slack/types, @slack/web-api and Bolt (checked by tsc)', () => {
    expectTypeOf(renderBlocks).returns.toEqualTypeOf<SlackMessage>();
    expectTypeOf<SlackMessage['blocks']>().toEqualTypeOf<KnownBlock[]>();
    expectTypeOf(renderModal).returns.toEqualTypeOf<SlackModal>();
    expectTypeOf(responseBody).returns.toEqualTypeOf<RespondArguments>();
    expectTypeOf(slackAckBody).returns.toEqualTypeOf<
      RespondArguments | ViewErrorsResponseAction | undefined
    >();
    expectTypeOf<SlackMethodArgs['chat.postMessage']>().toEqualTypeOf<ChatPostMessageArguments>();
    expectTypeOf<SlackMethodArgs['chat.update']>().toEqualTypeOf<ChatUpdateArguments>();
    expectTypeOf<
      SlackMethodArgs['chat.postEphemeral']
    >().toEqualTypeOf<ChatPostEphemeralArguments>();
    expectTypeOf<SlackMethodArgs['views.open']>().toEqualTypeOf<ViewsOpenArguments>();
    expect(slackAckBody({ kind: 'form_errors', errors: { reason: 'Say why' } })).toEqual({
      response_action: 'errors',
      errors: { reason: 'Say why' },
    });
  });

  it("cuts to the same limits the local Slack holds Slack's to", () => {
    const pairs: [number, number][] = [
      [BLOCK_LIMITS.blocks, SLACK_LIMITS.messageBlocks.max],
      [BLOCK_LIMITS.sectionText, SLACK_LIMITS.sectionText.max],
      [BLOCK_LIMITS.fields, SLACK_LIMITS.sectionFields.max],
      [BLOCK_LIMITS.fieldText, SLACK_LIMITS.sectionFieldText.max],
      [BLOCK_LIMITS.headerText, SLACK_LIMITS.headerText.max],
      [BLOCK_LIMITS.contextElements, SLACK_LIMITS.contextElements.max],
      [BLOCK_LIMITS.contextText, SLACK_LIMITS.textObject.max],
      [BLOCK_LIMITS.actionsElements, SLACK_LIMITS.actionsElements.max],
      [BLOCK_LIMITS.buttonText, SLACK_LIMITS.buttonText.max],
      [BLOCK_LIMITS.buttonValue, SLACK_LIMITS.buttonValue.max],
      [BLOCK_LIMITS.buttonUrl, SLACK_LIMITS.buttonUrl.max],
      [BLOCK_LIMITS.actionId, SLACK_LIMITS.actionId.max],
      [BLOCK_LIMITS.confirmTitle, SLACK_LIMITS.confirmTitle.max],
      [BLOCK_LIMITS.confirmText, SLACK_LIMITS.confirmText.max],
      [BLOCK_LIMITS.confirmButton, SLACK_LIMITS.confirmButton.max],
      [BLOCK_LIMITS.modalText, SLACK_LIMITS.modalTitle.max],
      [BLOCK_LIMITS.modalBlocks, SLACK_LIMITS.modalBlocks.max],
      [BLOCK_LIMITS.privateMetadata, SLACK_LIMITS.privateMetadata.max],
      [BLOCK_LIMITS.callbackId, SLACK_LIMITS.callbackId.max],
      [BLOCK_LIMITS.inputLabel, SLACK_LIMITS.inputLabel.max],
      [BLOCK_LIMITS.inputPlaceholder, SLACK_LIMITS.placeholder.max],
      [BLOCK_LIMITS.inputMaxLength, SLACK_LIMITS.inputLength.max],
    ];
    for (const [renderer, slack] of pairs) expect(renderer).toBe(slack);
    // The notification text stays under what Slack keeps whole.
    expect(BLOCK_LIMITS.fallbackText).toBeLessThanOrEqual(SLACK_LIMITS.messageText.max);
  });
});

describe('every view posted through the Slack client', () => {
  let slack: LocalSlack;
  let client: ChatClient;
  const unlimited = { perMinute: 1_000_000, burst: 1_000, per: 'method' as const };

  beforeAll(async () => {
    slack = createLocalSlack({
      channels: [{ id: 'C0DEPLOYS', name: 'deploys' }],
      rateLimits: { 'chat.postMessage': unlimited, 'chat.update': unlimited },
    });
    const { apiUrl } = await slack.start();
    client = createSlackClient({
      token: slack.config.botToken,
      apiUrl,
      retryConfig: { retries: 0 },
    });
  });
  afterAll(() => slack.stop());

  it('posts and updates every one without Slack refusing it', async () => {
    const refused: string[] = [];
    for (const [name, view] of MESSAGES) {
      try {
        const ref = await client.post('C0DEPLOYS', view);
        await client.update(ref, view);
      } catch (err) {
        refused.push(`${name}: ${String(err)}`);
      }
    }
    expect(refused).toEqual([]);
    expect(slack.history('C0DEPLOYS')).toHaveLength(MESSAGES.length);
  });
});
