/**
 * The chat port (ARCHITECTURE.md, "chat"): transports verify, normalize and acknowledge, then
 * hand an InboundEvent to the core; the core answers with platform-neutral views that a
 * renderer (Block Kit for Slack) turns into messages.
 */

/** What a person did in chat, after the transport verified it. */
export type InboundEvent =
  | {
      kind: 'command';
      /** `slash`: text after `/deploy`; `mention`: the message text including the mention. */
      mode: 'slash' | 'mention';
      text: string;
      user: string;
      channel: string;
      /** Thread to answer in (mentions inside a thread). */
      threadTs: string | null;
      /** Slack's response_url for slash commands: ephemeral answers go there. */
      responseUrl: string | null;
      /** Unique per delivery of the same user action (Slack's event_id or trigger_id). */
      deliveryId: string;
    }
  | {
      kind: 'action';
      /** Which button: `approve`, `reject`, `promote`, `close`, `rollback`, … */
      actionId: string;
      /** The opaque reference the button carried (a deployment or approval id). */
      value: string;
      user: string;
      channel: string;
      /** The message the button sits on. */
      messageTs: string;
      responseUrl: string | null;
      deliveryId: string;
      /**
       * Lets the core open a form for the clicker (ChatClient.openModal), briefly: Slack's
       * trigger_id works once, within 3 s of the click. Absent where the platform has none.
       */
      triggerId?: string;
    }
  | {
      /** A form (ModalView) filled in and submitted. */
      kind: 'submission';
      /** The action the form completes (`review_reject`) and the reference it carries. */
      actionId: string;
      value: string;
      /** What was typed, by input id; empty inputs are empty strings. */
      fields: Record<string, string>;
      user: string;
      /** Where the button that opened the form sits: answers to the person go there. */
      channel: string;
      messageTs: string;
      responseUrl: null;
      deliveryId: string;
    };

export type ViewTone = 'neutral' | 'progress' | 'waiting' | 'success' | 'failure' | 'warning';

export interface ViewAction {
  /** Stable id the transport routes on (`approve`, `reject`, `promote`, `close`, `rollback`). */
  id: string;
  label: string;
  /** Opaque reference into the store; never state. Short (Slack allows 2000 chars). */
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

/** A message as the core sees it: a renderer turns it into Block Kit, a card, or text. */
export interface MessageView {
  /** One line, also the notification/fallback text. */
  title: string;
  tone: ViewTone;
  /** A sentence or two under the title (markdown-ish: *bold*, `code`, links as <url|text>). */
  body?: string;
  fields?: { label: string; value: string }[];
  /** Small print: who, when, correlation id. */
  context?: string[];
  actions?: ViewAction[];
  /** A link worth a button (the run, the app, the preview URL). */
  links?: { label: string; url: string }[];
}

/**
 * A form asking a person for something before an action completes (a rejection's reason),
 * opened from a button click. Slack renders it as a modal. What comes back is a `submission`
 * event carrying `actionId`, `value` and `origin`: the platform keeps them with the form and
 * hands them back, and the core checks them again like a click (policy decides on submit).
 */
export interface ModalView {
  /** The action the form completes, as the button that opened it named it. */
  actionId: string;
  /** The opaque reference the button carried (a deployment id). */
  value: string;
  /** The message the button sits on. */
  origin: MessageRef;
  /** Short: Slack shows at most 24 characters of the title and of each button. */
  title: string;
  submit: string;
  cancel: string;
  /** Above the inputs (mrkdwn, escaped like a MessageView's body). */
  body?: string;
  /** Every input must be filled in. */
  inputs: ModalInput[];
}

export interface ModalInput {
  id: string;
  label: string;
  multiline?: boolean;
  placeholder?: string;
  maxLength?: number;
}

/**
 * How the core answers a submitted form while the person waits (Slack: in the acknowledgement
 * of the view_submission, within 3 s).
 */
export interface FormAnswer {
  /** Keeps the form open with a message under each named input; false when too late. */
  refuse(errors: Record<string, string>): boolean;
  /** Closes the form. */
  close(): void;
}

/** Where a message lives, to update it in place later. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/**
 * Which message a post is: its subject (a deployment's id, or an alert group's episode as
 * `subjectKey` writes it) and purpose (its card, an announcement). The platform keeps it with
 * the message (Slack: message metadata), so that a post whose outcome is unknown (the platform
 * applied it but answered after the client gave up) is found and adopted instead of being posted
 * a second time.
 */
export interface MessageKey {
  subject: string;
  purpose: string;
}

export interface PostOptions {
  threadTs?: string;
  key?: MessageKey;
  /**
   * An earlier call may have posted this keyed message since then, its outcome unknown: look
   * for it before posting.
   */
  mayExistSince?: Date;
}

/**
 * The outgoing half of a chat platform, as the notifier and command handler need it.
 * Implemented for Slack over @slack/web-api; tests use the local Slack.
 */
/**
 * What a platform's messages can hold and do, so that the core cuts and chooses for it without
 * knowing which platform it is.
 */
export interface ChatLimits {
  /** The longest body text one message shows (Slack: a section block's 3,000 characters). */
  messageText: number;
  /** The longest value a button carries back (Slack: 2,000). */
  buttonValue: number;
  /** Buttons shown side by side in one row; more wrap to another row. */
  buttonsPerRow: number;
  /** Buttons one message can carry at all; a renderer leaves out the rest and says so. */
  buttonsPerMessage: number;
  /**
   * Replies can sit in a thread under a message. Where a conversation has no threads (Teams'
   * group and personal chats) the client posts a thread reply as a plain message there.
   */
  threads: boolean;
  /**
   * A message only one person sees can be shown in a shared conversation. Without it,
   * `postEphemeral` reaches the person another way (a direct message), so private answers say
   * nothing the rest of the conversation must not learn from seeing where they went.
   */
  ephemeral: boolean;
  /** Forms (`ModalView`, `openModal`) can ask a person for text before an action completes. */
  forms: boolean;
}

export interface ChatClient {
  readonly limits: ChatLimits;
  post(channel: string, view: MessageView, options?: PostOptions): Promise<MessageRef>;
  update(ref: MessageRef, view: MessageView): Promise<void>;
  /** Only `user` sees it. */
  postEphemeral(channel: string, user: string, view: MessageView): Promise<void>;
  /** Answers through a response_url (slash commands, button clicks). */
  respond(
    responseUrl: string,
    view: MessageView,
    options: { ephemeral: boolean; replaceOriginal?: boolean },
  ): Promise<void>;
  /** The direct-message channel with a user. */
  openDirect(user: string): Promise<string>;
  /**
   * Shows a form to whoever clicked (`triggerId` from their click). Platforms without forms
   * leave it out; the caller then acts without asking.
   */
  openModal?(triggerId: string, view: ModalView): Promise<void>;
  /**
   * The name the platform shows for a user, or null when it knows no such user. Optional: a
   * platform without it leaves people shown by id outside chat (CLI, API).
   */
  userName?(user: string): Promise<string | null>;
  /**
   * A link that opens a posted message in the platform's own client (the dashboard links each
   * deployment to its card), or null when the platform cannot give one for it.
   */
  permalink?(ref: MessageRef): Promise<string | null>;
}
