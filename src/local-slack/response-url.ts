import { randomBytes } from 'node:crypto';
import { checkContent, parseBlocksArg } from './blocks.js';
import { type LocalSlackConfig, MessageResponse } from './schema.js';
import type { State } from './state.js';
import type { Clock } from './types.js';

export interface ResponseTarget {
  kind: 'command' | 'interaction';
  channel: string;
  /** The person who ran the command or clicked: ephemeral answers go to them. */
  user: string;
  /** For interactions: the message (or ephemeral) holding the clicked button. */
  original?: { ts: string; ephemeral: boolean } | undefined;
}

export interface ResponseAnswer {
  status: number;
  body: Record<string, unknown>;
}

interface Entry {
  target: ResponseTarget;
  issuedAt: number;
  uses: number;
}

/**
 * response_urls: "You can use a response_url five times within 30 minutes"
 * (api.slack.com/interactivity/handling#message_responses). A use that succeeds counts;
 * past either limit the URL answers 404 `used_url` / `expired_url`.
 */
export function createResponseUrls(deps: {
  cfg: LocalSlackConfig;
  state: State;
  clock: Clock;
  baseUrl: () => string;
}) {
  const { cfg, state, clock } = deps;
  const entries = new Map<string, Entry>();

  const bad = (status: number, error: string, extra: Record<string, unknown> = {}) => ({
    status,
    body: { ok: false, error, ...extra },
  });

  /** Applies a message response (response_url body or slash command answer) to the state. */
  function apply(
    target: ResponseTarget,
    raw: unknown,
    source: 'response_url' | 'command_response',
  ): ResponseAnswer {
    const parsed = MessageResponse.safeParse(raw);
    if (!parsed.success) return bad(400, 'invalid_payload');
    const r = parsed.data;
    const blocksArg = parseBlocksArg(r.blocks);
    if (!blocksArg.ok) return bad(400, blocksArg.error);
    const original = target.original;
    const originalMessage = original
      ? original.ephemeral
        ? state.findEphemeral(target.user, original.ts)
        : state.find(target.channel, original.ts)
      : undefined;

    if (r.delete_original) {
      if (!originalMessage) return bad(404, 'message_not_found');
      originalMessage.deleted = true;
      return { status: 200, body: { ok: true } };
    }
    const problem = checkContent(r.text, blocksArg.blocks);
    if (problem) return bad(400, problem.error, { ...problem });
    const text = r.text ?? '';
    if (r.replace_original && target.kind === 'interaction') {
      if (!originalMessage) return bad(404, 'message_not_found');
      state.replace(originalMessage, { text, blocks: blocksArg.blocks });
      return { status: 200, body: { ok: true } };
    }
    if (r.response_type === 'in_channel') {
      state.post({
        channel: target.channel,
        text,
        blocks: blocksArg.blocks,
        threadTs: r.thread_ts,
        user: cfg.botUserId,
        botId: cfg.botId,
        source: 'response_url',
      });
    } else {
      state.addEphemeral({
        channel: target.channel,
        user: target.user,
        text,
        blocks: blocksArg.blocks,
        threadTs: r.thread_ts,
        source,
      });
    }
    return { status: 200, body: { ok: true } };
  }

  return {
    issue(target: ResponseTarget): string {
      const id = randomBytes(12).toString('hex');
      entries.set(id, { target, issuedAt: clock(), uses: 0 });
      return `${deps.baseUrl()}/response/${id}`;
    },
    apply,
    /** POST <url>/response/<id> with a JSON body. */
    post(id: string, rawBody: string): ResponseAnswer {
      const entry = entries.get(id);
      if (!entry) return bad(404, 'invalid_url');
      if (clock() - entry.issuedAt > cfg.responseUrlTtlMs) return bad(404, 'expired_url');
      if (entry.uses >= cfg.responseUrlMaxUses) return bad(404, 'used_url');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        return bad(400, 'invalid_payload');
      }
      const answer = apply(entry.target, body, 'response_url');
      if (answer.status === 200) entry.uses += 1;
      return answer;
    },
  };
}

export type ResponseUrls = ReturnType<typeof createResponseUrls>;
