import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

/** A duration as people write it in slipway.yaml: "30s", "10m", "2h", "1d", "1h30m". */
export const Duration = z.string().superRefine((text, ctx) => {
  if (parseDuration(text) !== null) return;
  ctx.addIssue({
    code: 'custom',
    message: `"${text}" is not a duration`,
    params: { fix: 'write a duration like "30s", "10m", "2h", "1d" or "1h30m"' },
  });
});
