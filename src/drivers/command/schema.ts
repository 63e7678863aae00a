import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';
import { PLACEHOLDERS, unknownPlaceholders } from './placeholders.js';

/** Options of the `command` driver (README.md in this folder is the user-facing reference). */

const SIZE_UNITS = { B: 1, KiB: 1024, MiB: 1024 * 1024 } as const;
const SIZE = /^(\d+)\s*(B|KiB|MiB)?$/;
/** Smallest output cap: leaves room for the truncation note and a useful tail. */
export const MIN_OUTPUT_LIMIT = 1024;
export const MAX_OUTPUT_LIMIT = 64 * 1024 * 1024;

/** `64KiB` → 65536; null when `text` is not a size. A bare number is bytes. */
export function parseSize(text: string): number | null {
  const match = SIZE.exec(text.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * SIZE_UNITS[(match[2] ?? 'B') as keyof typeof SIZE_UNITS];
  return Number.isSafeInteger(bytes) ? bytes : null;
}

const Duration = z.string().refine((text) => parseDuration(text) !== null, {
  message: 'write a duration like "30s", "10m" or "1h"',
});

const Size = z.string().refine(
  (text) => {
    const bytes = parseSize(text);
    return bytes !== null && bytes >= MIN_OUTPUT_LIMIT && bytes <= MAX_OUTPUT_LIMIT;
  },
  { message: 'write a size between "1KiB" and "64MiB", like "64KiB" or "1MiB"' },
);

/** A program and its arguments, run without a shell: each element is one argument. */
const Argv = z
  .array(z.string())
  .min(1, 'give the program and its arguments as a list, e.g. ["./deploy.sh", "{version}"]')
  .refine((argv) => (argv[0] ?? '') !== '', { message: 'the program (first element) is empty' });

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const EnvName = z
  .string()
  .regex(ENV_NAME, 'environment variable names use letters, digits and "_"')
  .refine((name) => !name.startsWith('SLIPWAY_'), {
    message: 'SLIPWAY_* variables are set by Slipway itself; pick another name',
  });

export const optionsSchema = z
  .object({
    /** Runs the deployment. */
    deploy: Argv,
    /** Returns to an earlier version; without it, `deploy` runs again with the older version. */
    rollback: Argv.optional(),
    /** Prints the live version on its first stdout line; exit 0 means healthy. */
    status: Argv.optional(),
    /**
     * Removes what a deployment left behind once it is no longer wanted (a preview whose review
     * was closed, or expired); exit 0 means removed. Run directly, like `status`.
     */
    teardown: Argv.optional(),
    /** Where the deployed version can be tried, offered to its reviewers: "https://{ref}.preview.example.com". */
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'write a URL such as "https://{ref}.preview.example.com"')
      .optional(),
    /** The deploy/rollback command is stopped (SIGTERM, then SIGKILL) after this long. */
    timeout: Duration.default('10m'),
    /** Time between SIGTERM and SIGKILL when a command is stopped. */
    killGrace: Duration.default('10s'),
    /** The status command is stopped after this long and counts as unhealthy. */
    statusTimeout: Duration.default('30s'),
    /** Working directory; relative to the directory Slipway was started in. */
    cwd: z.string().min(1).optional(),
    /** Extra, non-secret environment variables (the child does not inherit Slipway's). */
    env: z.record(EnvName, z.string()).default({}),
    /** Output kept per run: the last bytes of stdout+stderr up to this size. */
    outputLimit: Size.default('64KiB'),
  })
  .strict()
  .superRefine((options, ctx) => {
    for (const key of ['deploy', 'rollback', 'status', 'teardown'] as const) {
      options[key]?.forEach((arg, index) => {
        for (const name of unknownPlaceholders(arg)) {
          ctx.addIssue({
            code: 'custom',
            path: [key, index],
            message: `unknown placeholder {${name}}: use one of ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} (no shell runs, so environment variables are not expanded in arguments either)`,
          });
        }
      });
    }
  });

export type CommandOptions = z.infer<typeof optionsSchema>;

/** Milliseconds of a duration the schema already accepted. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`"${text}" is not a duration`);
  return ms;
}

/** Bytes of a size the schema already accepted. */
export function sizeBytes(text: string): number {
  const bytes = parseSize(text);
  if (bytes === null) throw new Error(`"${text}" is not a size`);
  return bytes;
}
