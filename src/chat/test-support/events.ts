import type { InboundEvent } from '../types.js';

type Command = Extract<InboundEvent, { kind: 'command' }>;
type Action = Extract<InboundEvent, { kind: 'action' }>;
type Submission = Extract<InboundEvent, { kind: 'submission' }>;

/** `/deploy web 1.4.2 to staging` as a transport hands it in, with a response_url. */
export function slashCommand(overrides: Partial<Command> = {}): Command {
  return {
    kind: 'command',
    mode: 'slash',
    text: 'web 1.4.2 to staging',
    user: 'U1',
    channel: 'C1',
    threadTs: null,
    responseUrl: 'https://hooks.slack.com/commands/1',
    deliveryId: 'd1',
    ...overrides,
  };
}

/** A click on a deployment's button. */
export function buttonClick(overrides: Partial<Action> = {}): Action {
  return {
    kind: 'action',
    actionId: 'approve',
    value: 'd-1',
    user: 'U2',
    channel: 'C1',
    messageTs: '1.1',
    responseUrl: null,
    deliveryId: 'd2',
    ...overrides,
  };
}

/** A review's rejection form, submitted with `reason`. */
export function formSubmission(reason: string, overrides: Partial<Submission> = {}): Submission {
  return {
    kind: 'submission',
    actionId: 'review_reject',
    value: 'd-1',
    fields: { reason },
    user: 'U1',
    channel: 'D1',
    messageTs: '1.1',
    responseUrl: null,
    deliveryId: 'd3',
    ...overrides,
  };
}

/** A promise and the functions that settle it, for holding work until a test says so. */
export function deferred<T = void>() {
  let resolve: (value: T) => void = () => {};
  let reject: (err: Error) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
