import type { Forge, Sender } from './outgoing.js';
import { viewSubmissionPayload } from './payloads.js';
import { type LocalSlackConfig, ViewSubmissionAnswer } from './schema.js';
import type { State } from './state.js';
import type { Delivery } from './types.js';
import { inputsOf, type OpenView, type Views, validateView } from './views.js';

export interface SubmitViewInput {
  user: string;
  /** Which of the person's open modals; their newest when left out. */
  viewId?: string;
  /** What the person typed, by the block_id of each input block. */
  values?: Record<string, string>;
  forge?: Forge;
}

export type SubmitResult = Delivery & {
  viewId: string;
  triggerId: string;
  /** The modal closed: the app answered with nothing, or `response_action: clear`. */
  closed: boolean;
  /** What the app put under the inputs (`response_action: errors`), by block_id. */
  errors: Record<string, string>;
  /**
   * Why Slack would show the person an error in the modal instead: no answer within 3 s, a
   * status other than 200, or an answer it cannot use (errors naming no input block).
   */
  problem?: string;
};

/**
 * People filling in modals: Slack sends a view_submission to the app's interactivity URL (or
 * over Socket Mode), signed like a click, and does what the app answers within 3 s
 * (docs.slack.dev/surfaces/modals, "Handling submissions"): nothing or `clear` closes it,
 * `errors` keeps it open with a message under each named input, `update` replaces it.
 */
export function createViewActors(deps: {
  cfg: LocalSlackConfig;
  state: State;
  views: Views;
  sender: Sender;
}) {
  const { cfg, state, views, sender } = deps;

  function viewOf(user: string, viewId: string | undefined): OpenView {
    const view = viewId ? views.get(viewId) : views.of(user).at(-1);
    if (!view || view.user !== user) {
      throw new Error(`local-slack: ${user} has no open modal${viewId ? ` ${viewId}` : ''}`);
    }
    return view;
  }

  return {
    async submitView(input: SubmitViewInput): Promise<SubmitResult> {
      sender.assertReady(input.forge);
      const user = state.users.get(input.user);
      if (!user || user.isBot) throw new Error(`local-slack: unknown user "${input.user}"`);
      const view = viewOf(user.id, input.viewId);
      const values = stateValues(view, input.values ?? {});
      const trigger = views.issueTrigger(user.id);
      const payload = viewSubmissionPayload({
        cfg,
        user,
        view: views.wire(view, values),
        triggerId: trigger,
      });
      const sent = await sender.send({
        kind: 'interactive',
        payload,
        encoding: 'form-payload',
        attempt: 0,
        forge: input.forge,
      });
      const outcome = applyAnswer(views, view, sent.delivery);
      return { ...sent.delivery, viewId: view.id, triggerId: trigger, ...outcome };
    },

    /** Cancel: Slack tells the app only when the view asked (`notify_on_close`), not done here. */
    closeView(input: { user: string; viewId?: string }): void {
      views.close(viewOf(input.user, input.viewId).id);
    },
  };
}

/**
 * `view.state.values` as Slack builds it: `{ [block_id]: { [action_id]: { type, value } } }`,
 * null for an input left empty. Slack's client refuses to send a form with a required input
 * empty or a text outside its lengths, so those never reach the app: they throw here.
 */
function stateValues(
  view: OpenView,
  typed: Record<string, string>,
): Record<string, Record<string, { type: string; value: string | null }>> {
  const inputs = inputsOf(view);
  for (const blockId of Object.keys(typed)) {
    if (!inputs.some((i) => i.blockId === blockId))
      throw new Error(`local-slack: the modal has no input "${blockId}"`);
  }
  const values: Record<string, Record<string, { type: string; value: string | null }>> = {};
  for (const input of inputs) {
    const text = typed[input.blockId] ?? '';
    const length = [...text].length;
    if (text === '' && !input.optional)
      throw new Error(`local-slack: "${input.label}" is required; Slack does not send the form`);
    if (text !== '' && input.maxLength !== undefined && length > input.maxLength)
      throw new Error(`local-slack: "${input.label}" takes at most ${input.maxLength} characters`);
    if (text !== '' && input.minLength !== undefined && length < input.minLength)
      throw new Error(`local-slack: "${input.label}" needs at least ${input.minLength} characters`);
    values[input.blockId] = {
      [input.actionId]: { type: input.type, value: text === '' ? null : text },
    };
  }
  return values;
}

function applyAnswer(
  views: Views,
  view: OpenView,
  d: Delivery,
): { closed: boolean; errors: Record<string, string>; problem?: string } {
  const keep = (problem: string) => ({ closed: false, errors: view.errors, problem });
  if (d.timedOut) return keep('timeout');
  if (d.error) return keep('connection_failed');
  if (d.mode === 'http' && d.status !== 200) return keep(`http_${d.status}`);
  let raw: unknown = d.ack ?? {};
  if (d.mode === 'http' && (d.body ?? '').trim() !== '') {
    try {
      raw = JSON.parse(d.body ?? '');
    } catch {
      return keep('invalid_response');
    }
  }
  const answer = ViewSubmissionAnswer.safeParse(raw);
  if (!answer.success) return keep('invalid_response');
  const a = answer.data;
  switch (a.response_action) {
    case undefined:
      views.close(view.id);
      return { closed: true, errors: {} };
    case 'clear':
      for (const v of views.of(view.user)) views.close(v.id);
      return { closed: true, errors: {} };
    case 'errors': {
      const inputs = new Set(inputsOf(view).map((i) => i.blockId));
      const errors = a.errors ?? {};
      const named = Object.keys(errors);
      // Slack shows errors only under input blocks; anything else is an error of the app.
      if (named.length === 0 || named.some((id) => !inputs.has(id))) return keep('invalid_errors');
      view.errors = errors;
      return { closed: false, errors };
    }
    case 'update': {
      if (!a.view || validateView(a.view).length > 0) return keep('invalid_view');
      views.replace(view, a.view);
      return { closed: false, errors: {} };
    }
    case 'push':
      return keep('push_not_supported_by_local_slack');
  }
}
