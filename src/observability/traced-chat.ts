import { SpanKind } from '@opentelemetry/api';
import type { ChatClient } from '../chat/types.js';
import { hasActiveSpan, inSpan } from './tracing.js';

/**
 * The chat client, with a span per call (`chat.post`, `chat.update`, …) when the call is made
 * inside a trace: a command's answer, or a deployment's message kept up to date by the notifier.
 * Calls outside any trace stay untraced rather than each starting a trace of its own.
 */
export function tracedChat(client: ChatClient): ChatClient {
  function traced<T>(method: string, call: () => Promise<T>, thread = false): Promise<T> {
    if (!hasActiveSpan()) return call();
    const attributes = { 'slipway.chat.method': method, 'slipway.chat.thread': thread };
    return inSpan(`chat.${method}`, { kind: SpanKind.CLIENT, attributes }, call);
  }
  const userName = client.userName?.bind(client);
  const openModal = client.openModal?.bind(client);
  const permalink = client.permalink?.bind(client);
  return {
    limits: client.limits,
    post: (channel, view, options) =>
      traced('post', () => client.post(channel, view, options), Boolean(options?.threadTs)),
    update: (ref, view) => traced('update', () => client.update(ref, view)),
    postEphemeral: (channel, user, view) =>
      traced('postEphemeral', () => client.postEphemeral(channel, user, view)),
    respond: (responseUrl, view, options) =>
      traced('respond', () => client.respond(responseUrl, view, options)),
    openDirect: (user) => traced('openDirect', () => client.openDirect(user)),
    // Optional on the port: absent here too when the client has none.
    ...(userName ? { userName: (user: string) => traced('userName', () => userName(user)) } : {}),
    ...(permalink ? { permalink: (ref) => traced('permalink', () => permalink(ref)) } : {}),
    ...(openModal
      ? { openModal: (trigger, view) => traced('openModal', () => openModal(trigger, view)) }
      : {}),
  };
}
