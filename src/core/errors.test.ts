import { describe, expect, it } from 'vitest';
import { NotFoundError, SlipwayError, toSlipwayError, withCause } from './errors.js';

describe('coded errors at a boundary', () => {
  it('keeps the failure an error explains as its cause, on the same error', () => {
    const platform = Object.assign(new Error('channel_not_found'), { code: 'slack_webapi' });
    const error = new NotFoundError('Slack refused chat.postMessage: channel_not_found');
    expect(withCause(error, platform)).toBe(error);
    expect(error.cause).toBe(platform);
    expect(error.status).toBe(404);
  });

  it('wraps anything thrown with its message and keeps it as the cause; a coded error stays itself', () => {
    const thrown = new TypeError('fetch failed');
    const wrapped = toSlipwayError(thrown);
    expect(wrapped).toBeInstanceOf(SlipwayError);
    expect(wrapped.message).toBe('fetch failed');
    expect(wrapped.cause).toBe(thrown);
    expect(toSlipwayError('a string').message).toBe('a string');
    const coded = new NotFoundError('no such deployment');
    expect(toSlipwayError(coded)).toBe(coded);
  });
});
