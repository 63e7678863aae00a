import { NotFoundError } from '../../core/errors.js';
import { SLACK_CHAT_LIMITS } from '../slack/client.js';
import type { ChatClient, MessageKey, MessageRef, MessageView, ModalView } from '../types.js';

export type ChatMethod =
  | 'post'
  | 'update'
  | 'postEphemeral'
  | 'respond'
  | 'openDirect'
  | 'openModal';

export interface RecordedCall {
  method: ChatMethod;
  /** When the call was made (Date.now()). */
  at: number;
  channel?: string;
  ts?: string;
  threadTs?: string;
  user?: string;
  url?: string;
  ephemeral?: boolean;
  /** A response_url answer that takes the place of the message clicked on. */
  replaceOriginal?: boolean;
  view?: MessageView;
  /** A form opened, and the trigger it was opened with. */
  modal?: ModalView;
  triggerId?: string;
  /** A post's key and `mayExistSince`, as the caller passed them. */
  key?: MessageKey;
  mayExistSince?: Date;
}

export interface RecordedMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  /** Every version, oldest first; the last is what people see. */
  versions: MessageView[];
}

/**
 * A ChatClient that keeps what it was asked to do, like a tiny chat platform: messages by
 * channel and ts, their versions, thread replies, ephemeral answers. `failNext` makes the next
 * calls of a method throw, before anything is recorded as posted.
 */
export function createRecordingChat(options: { delayMs?: number } = {}) {
  const calls: RecordedCall[] = [];
  const messages: RecordedMessage[] = [];
  const failures: { method: ChatMethod; error: () => Error }[] = [];
  const holds: { method: ChatMethod; until: Promise<void> }[] = [];
  let clock = 1000;

  /** Slack takes a while to answer: long enough for other work to interleave. */
  async function maybeFail(method: ChatMethod): Promise<void> {
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const h = holds.findIndex((hold) => hold.method === method);
    if (h >= 0) await holds.splice(h, 1)[0]?.until;
    const i = failures.findIndex((f) => f.method === method);
    if (i < 0) return;
    const [failure] = failures.splice(i, 1);
    if (failure) throw failure.error();
  }

  const client: ChatClient = {
    // Slack's: the views the tests record are cut as they would be for Slack.
    limits: SLACK_CHAT_LIMITS,
    async post(channel, view, options = {}) {
      calls.push({
        method: 'post',
        at: Date.now(),
        channel,
        view,
        ...(options.threadTs ? { threadTs: options.threadTs } : {}),
        ...(options.key ? { key: options.key } : {}),
        ...(options.mayExistSince ? { mayExistSince: options.mayExistSince } : {}),
      });
      await maybeFail('post');
      const ts = `${clock++}.000100`;
      messages.push({ channel, ts, threadTs: options.threadTs ?? null, versions: [view] });
      return { channel, ts };
    },
    async update(ref, view) {
      calls.push({ method: 'update', at: Date.now(), channel: ref.channel, ts: ref.ts, view });
      await maybeFail('update');
      const message = find(ref);
      if (!message) throw new NotFoundError(`no message ${ref.channel}/${ref.ts}`);
      message.versions.push(view);
    },
    async postEphemeral(channel, user, view) {
      calls.push({ method: 'postEphemeral', at: Date.now(), channel, user, view });
      await maybeFail('postEphemeral');
    },
    async respond(url, view, options) {
      calls.push({
        method: 'respond',
        at: Date.now(),
        url,
        view,
        ephemeral: options.ephemeral,
        replaceOriginal: options.replaceOriginal ?? false,
      });
      await maybeFail('respond');
    },
    async openModal(triggerId, modal) {
      calls.push({ method: 'openModal', at: Date.now(), triggerId, modal });
      await maybeFail('openModal');
    },
    async openDirect(user) {
      calls.push({ method: 'openDirect', at: Date.now(), user });
      await maybeFail('openDirect');
      return `D-${user}`;
    },
  };

  function find(ref: MessageRef): RecordedMessage | undefined {
    return messages.find((m) => m.channel === ref.channel && m.ts === ref.ts);
  }

  return {
    client,
    calls,
    messages,
    failNext(method: ChatMethod, error: () => Error, times = 1): void {
      for (let i = 0; i < times; i++) failures.push({ method, error });
    },
    /**
     * Holds the next call of a method after it was made and before it takes effect, as a call
     * waiting out a rate limit does, until the returned function is called.
     */
    holdNext(method: ChatMethod): () => void {
      let release = () => {};
      holds.push({ method, until: new Promise<void>((resolve) => (release = resolve)) });
      return () => release();
    },
    /** Top-level messages in a channel (not thread replies). */
    inChannel: (channel: string) =>
      messages.filter((m) => m.channel === channel && m.threadTs === null),
    /** Replies in the thread of a message. */
    thread: (ref: MessageRef) =>
      messages.filter((m) => m.channel === ref.channel && m.threadTs === ref.ts),
    latest: (m: RecordedMessage): MessageView => m.versions[m.versions.length - 1] as MessageView,
    callsOf: (method: ChatMethod) => calls.filter((c) => c.method === method),
  };
}

export type RecordingChat = ReturnType<typeof createRecordingChat>;
