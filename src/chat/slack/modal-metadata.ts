import { ValidationError } from '../../core/errors.js';
import type { MessageRef } from '../types.js';
import { BLOCK_LIMITS } from './limits.js';
import { ModalMetadata } from './schema.js';

/**
 * What a modal carries back with its submission: Slack keeps a view's private_metadata and
 * sends it with the view_submission (docs.slack.dev/reference/views/modal-views), so it holds
 * the button's reference and the message the button sits on; the action is the callback_id.
 * The person never sees it, but the submission is checked again like a click all the same.
 */
export function encodeModalMetadata(value: string, origin: MessageRef): string {
  const text = JSON.stringify({ value, channel: origin.channel, ts: origin.ts });
  // A reference cut short would point elsewhere; ids are far shorter than this.
  if (text.length > BLOCK_LIMITS.privateMetadata) {
    throw new ValidationError(
      `a form's reference is ${text.length} characters; Slack keeps at most ${BLOCK_LIMITS.privateMetadata}`,
    );
  }
  return text;
}

/** Null when the text is not what encodeModalMetadata wrote (another app's, or tampered). */
export function decodeModalMetadata(
  text: string,
): { value: string; channel: string; ts: string } | null {
  try {
    const parsed = ModalMetadata.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
