import { z } from 'zod';
import { GitHubReporting } from '../integrations/github-deployments/schema.js';
import { GrafanaOptions } from '../integrations/grafana/schema.js';
import { Delivery } from './analysis.js';
import { Duration } from './duration.js';
import {
  channelProblem,
  type IdProblem,
  PERSON_KEY,
  PERSON_KEY_RULE,
  slackChannelProblem,
  slackUserProblem,
  TEAMS_PREFIX,
  teamsChannelProblem,
  teamsPrincipalProblem,
  teamsUserProblem,
} from './ids.js';
import { LinkTemplates } from './links.js';
import { resolvePeople } from './people.js';
import { cronProblem, timeZoneProblem } from './time.js';

/**
 * slipway.yaml. Secrets never live here: tokens come from the environment or files
 * (ARCHITECTURE.md, "The external contract"); the loader refuses values that look like one.
 *
 * Custom issues carry `params.fix`: the loader prints it after the message, so every refusal
 * says how to repair the file.
 */

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const Name = z
  .string()
  .regex(NAME, 'use lowercase letters, digits and dashes (e.g. "web", "payments-api")');

export { Duration };

/** A string checked by one of ids.ts's problem functions, its fix carried to the loader. */
function checkedId(problemOf: (value: string) => IdProblem | null) {
  return z
    .string()
    .min(1, { abort: true })
    .superRefine((value, ctx) => {
      const problem = problemOf(value);
      if (problem)
        ctx.addIssue({ code: 'custom', message: problem.message, params: { fix: problem.fix } });
    });
}

/**
 * Someone who may act, in `admins`, `groups`, `deployers`, `approvals.from`, `owners`, `qa`
 * and `freezeOverride`:
 * - a person: a key of `people`, or one of their platform ids, which the loaded config replaces
 *   by their key;
 * - a user id: a Slack member id (`U012ABC`), a Teams user (`teams:<Entra ID object id>`) or
 *   the CLI identity (`operator`, see `operator`);
 * - `@name`: every member of `groups.name` (groups may contain groups);
 * - `service:owners` / `service:qa`: the owners / QA of the service being acted on;
 * - `*`: anyone.
 */
export const Principal = z
  .string()
  .superRefine((value, ctx) => {
    const problem = principalProblem(value);
    if (problem)
      ctx.addIssue({ code: 'custom', message: problem.message, params: { fix: problem.fix } });
  })
  .describe(
    'A person (a key of people), a user id (Slack U012ABC, Teams "teams:<Entra ID object id>", or the CLI operator identity), "@group", "service:owners", "service:qa" or "*" (anyone).',
  );
export const Principals = z.array(Principal);

const SERVICE_PRINCIPALS = ['service:owners', 'service:qa'];

function principalProblem(value: string): { message: string; fix: string } | null {
  if (value === '*' || SERVICE_PRINCIPALS.includes(value)) return null;
  const mention = /^<@([A-Z0-9]+)(\|[^>]*)?>$/.exec(value);
  if (mention) {
    return {
      message: `"${value}" is a chat mention, not a user id`,
      fix: `write the bare user id: ${mention[1]}`,
    };
  }
  if (value.startsWith('@')) {
    return NAME.test(value.slice(1))
      ? null
      : {
          message: `"${value}" is not a valid group reference`,
          fix: 'write "@" followed by a key of groups, e.g. "@qa"',
        };
  }
  if (value.startsWith(TEAMS_PREFIX)) return teamsPrincipalProblem(value);
  if (value.startsWith('service:')) {
    return {
      message: `"${value}" is not a known service role`,
      fix: 'write "service:owners" or "service:qa"',
    };
  }
  if (value.startsWith('#')) {
    return {
      message: `"${value}" is a channel, not a person`,
      fix: 'list user ids or @groups here; channels go under an environment\'s "channels"',
    };
  }
  if (value === '' || /\s/.test(value)) {
    return {
      message: `"${value}" is not a user id`,
      fix: 'write one person or user id per list item, without spaces (a key of people, or a Slack member id like U012ABC)',
    };
  }
  return null;
}

/** A conversation in a list: Slack's channel id, or `teams:` and a Teams conversation id. */
export const ChannelId = checkedId(channelProblem).describe(
  'A channel: Slack\'s channel id (C012ABC), or "teams:" and a Teams channel or group chat id ("teams:19:abc@thread.tacv2").',
);

const TimeZone = z.string().superRefine((zone, ctx) => {
  const problem = timeZoneProblem(zone);
  if (problem)
    ctx.addIssue({ code: 'custom', message: problem.message, params: { fix: problem.fix } });
});

export const FreezeWindow = z
  .object({
    cron: z
      .string()
      .superRefine((expr, ctx) => {
        const problem = cronProblem(expr);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { fix: CRON_FIX } });
      })
      .describe(
        'When a freeze starts: a 5-field cron expression (minute hour day month weekday), e.g. "0 16 * * 5" for Fridays at 16:00.',
      ),
    duration: Duration.describe(
      'How long each freeze lasts from its start, in elapsed time ("64h" is Friday 16:00 to Monday 08:00, an hour off when clocks change that weekend).',
    ),
    timezone: TimeZone.default('UTC').describe(
      'IANA time zone the cron expression is read in, e.g. "Europe/Berlin".',
    ),
    reason: z
      .string()
      .min(1)
      .default('change freeze')
      .describe('Shown to whoever is refused, e.g. "weekend".'),
  })
  .strict()
  .describe('A recurring window during which deploys are refused (rollbacks still run).');
export type FreezeWindow = z.infer<typeof FreezeWindow>;

const CRON_FIX =
  'write 5 fields: minute hour day-of-month month day-of-week, e.g. "0 16 * * 5" (Fridays at 16:00)';

const EnvironmentFields = z
  .object({
    name: Name.describe('Environment name used in commands: "deploy web to staging".'),
    order: z
      .number()
      .int()
      .min(0)
      .describe('Position in the promotion chain: preview 0 → staging 1 → production 2.'),
    protected: z
      .boolean()
      .default(false)
      .describe(
        'When true and deployers is not given, only service owners (and admins) may deploy.',
      ),
    deployers: Principals.optional().describe(
      'Who may deploy here, besides service owners and admins. Default: ["*"], or ["service:owners"] when protected.',
    ),
    approvals: z
      .object({
        required: z
          .number()
          .int()
          .min(0)
          .max(10)
          .default(0)
          .describe('Approvals needed before a deploy runs.'),
        from: Principals.default([]).describe(
          'Who may approve; the requester never counts (four-eyes).',
        ),
      })
      .strict()
      .default({ required: 0, from: [] }),
    channels: z
      .array(ChannelId)
      .default([])
      .describe(
        'Chat channel ids that may deploy here (Slack C012ABC, Teams "teams:19:…@thread.tacv2"); empty means any channel. The CLI and API are not channels.',
      ),
    freeze: z.array(FreezeWindow).default([]),
    rollback: z
      .object({
        approvals: z
          .number()
          .int()
          .min(0)
          .max(10)
          .default(0)
          .describe(
            'Approvals a rollback to the previous version needs. A rollback to any other version follows the rules for a deploy.',
          ),
        duringFreeze: z
          .boolean()
          .default(true)
          .describe(
            'Whether a rollback to the previous version may run during a freeze without "deploy!". Undoing a bad release is how a freeze stays safe.',
          ),
      })
      .strict()
      .default({ approvals: 0, duringFreeze: true })
      .describe('The rule for rolling back to the previous version.'),
    freezeOverride: Principals.default([]).describe(
      'Who may override a freeze with "deploy!" (admins always may).',
    ),
    whenBusy: z
      .enum(['queue', 'reject'])
      .default('queue')
      .describe(
        'What a request does while another deployment holds the target: wait in a queue, or be refused.',
      ),
    review: z
      .boolean()
      .optional()
      .describe(
        "Whether a build that succeeds here is tried by the service's QA, who approve or reject it before its owners promote it. Default: only on each service's first environment, where builds land from CI.",
      ),
    autoRollback: z
      .boolean()
      .default(true)
      .describe('Roll back automatically when a deployment fails after changing the target.'),
    verifyWindow: Duration.default('30s').describe(
      'How long a deployment may take to become healthy after the driver finished.',
    ),
  })
  .strict();

// `approvals.required` without anyone in `approvals.from` is caught by the loader's checks,
// which also see environments that have other errors.
export const Environment = EnvironmentFields.transform((env) => ({
  ...env,
  // Protected environments fail closed: an omitted list means owners only, not everyone.
  deployers: env.deployers ?? (env.protected ? ['service:owners'] : ['*']),
}));
export type Environment = z.infer<typeof Environment>;

export const DriverBinding = z
  .object({
    driver: z
      .string()
      .min(1)
      .describe(
        'Driver id: "command", "kubernetes", "helm", "github-actions", "jenkins", "argocd".',
      ),
    options: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("Driver options, checked against the driver's own schema when Slipway starts."),
  })
  .strict();
export type DriverBinding = z.infer<typeof DriverBinding>;

/**
 * `preview:` with nothing after it means "use the service's default driver as is". `strategy`
 * and `verify` (src/config/analysis.ts) belong here: how one service is released in one place.
 */
const EnvironmentBinding = DriverBinding.partial()
  .extend(Delivery.shape)
  .strict()
  .nullable()
  .transform((binding) => binding ?? {})
  .describe(
    'Driver for this environment. Omit "driver" to use the service default; options are merged over its options then. strategy (rolling or canary) and verify judge the release by its metrics.',
  );

const ServiceChannels = z
  .object({
    slack: checkedId(slackChannelProblem)
      .optional()
      .describe("The Slack channel's id (C012ABC, from the channel's details)."),
    teams: checkedId(teamsChannelProblem)
      .optional()
      .describe(
        'The Teams channel or group chat id, without "teams:" (19:abc@thread.tacv2, from Get link to channel).',
      ),
  })
  .strict();

const ServiceFields = z
  .object({
    name: Name.describe('Service name used in commands: "deploy web 1.4.2".'),
    image: z
      .string()
      .min(1)
      .optional()
      .describe('Image repository ("registry.example.com/web"); deployments set its tag.'),
    owners: Principals.default([]).describe(
      'May deploy this service anywhere, cancel its deployments and take over its locks.',
    ),
    qa: Principals.default([]).describe('The QA of this service, referred to as "service:qa".'),
    channel: ChannelId.optional().describe(
      'Channel where this service\'s deployment messages go (Slack C012ABC, or "teams:19:…"). For one channel on each platform, write channels instead.',
    ),
    channels: ServiceChannels.optional().describe(
      'Channels where this service\'s deployment messages go, one per platform: {slack: C012ABC, teams: "19:…@thread.tacv2"}. Instead of channel.',
    ),
    driver: DriverBinding.optional().describe(
      'Driver used where an environment does not name its own.',
    ),
    environments: z
      .record(Name, EnvironmentBinding)
      .default({})
      .describe(
        'Where this service deploys, with per-environment driver settings. Omitted: every environment, with the default driver.',
      ),
    links: LinkTemplates.optional().describe(
      "This service's link templates, by name over the top-level links (a name given here replaces the top-level one).",
    ),
    grafana: GrafanaOptions.optional().describe(
      "Where this service's Grafana annotations go, over the top-level grafana settings.",
    ),
    github: GitHubReporting.optional(),
  })
  .strict();

// Both `channel` and `channels` is refused by the loader's checks, which also see services that
// have other errors; here the first given wins.
export const Service = ServiceFields.transform(({ channel, channels, ...service }) => {
  const all = channels
    ? [
        ...(channels.slack ? [channels.slack] : []),
        ...(channels.teams ? [`${TEAMS_PREFIX}${channels.teams}`] : []),
      ]
    : channel
      ? [channel]
      : [];
  // `channel` stays, as before absent when there is none, for code that posts to one channel:
  // the first, Slack's when there are two.
  const first = all[0];
  return { ...service, channels: all, ...(first === undefined ? {} : { channel: first }) };
});
export type Service = z.infer<typeof Service>;

export const AutoDeployRule = z
  .object({
    service: Name.optional().describe('Service name; omit for every service.'),
    type: z.enum(['branch', 'tag']),
    pattern: z
      .string()
      .min(1)
      .describe('Glob on the branch or tag name: "*" matches within a path segment, "**" across.'),
    environment: Name,
  })
  .strict()
  .describe('Deploy a build automatically when it comes from a matching branch or tag.');
export type AutoDeployRule = z.infer<typeof AutoDeployRule>;

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

/** `09:00`: hours and minutes on a 24-hour clock. */
const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

export const DoraDigest = z
  .object({
    channel: ChannelId.describe(
      'Where the digest is posted: a Slack channel id (C012ABC) or "teams:" and a Teams conversation id.',
    ),
    day: z.enum(WEEKDAYS).default('monday').describe('The day it is posted on.'),
    time: z
      .string()
      .regex(CLOCK_TIME, 'write hours and minutes on a 24-hour clock, e.g. "09:00" or "17:30"')
      .default('09:00')
      .describe('The time it is posted at, on a 24-hour clock in `timezone`.'),
    timezone: TimeZone.default('UTC').describe(
      'IANA time zone of `day` and `time`, and of the week reported: Monday 00:00 to Sunday 24:00 there.',
    ),
    environment: Name.optional().describe(
      "The environment reported on. Default: each service's production (its protected environments, else the last of its chain), as slipway report dora picks it.",
    ),
  })
  .strict()
  .describe(
    "A weekly message with last ISO week's DORA metrics per service, compared with the week before.",
  );
export type DoraDigest = z.infer<typeof DoraDigest>;

export const Person = z
  .object({
    slack: checkedId(slackUserProblem)
      .optional()
      .describe('Their Slack member id (U012ABC, from their profile: ⋮ → Copy member ID).'),
    teams: checkedId(teamsUserProblem)
      .optional()
      .describe(
        'Their Teams user: the Entra ID (Azure AD) object id, a GUID, without "teams:" (Entra ID → Users → Object ID).',
      ),
    email: z
      .string()
      .regex(/^[^\s@]+@[^\s@]+$/, 'write an address like alice@example.com')
      .optional()
      .describe('Their email address.'),
    name: z
      .string()
      .min(1)
      .optional()
      .describe('Their name as Slipway shows it, instead of asking the chat platform.'),
    direct: z
      .enum(['slack', 'teams'])
      .optional()
      .describe(
        'Where direct messages (approval requests, reviews) go when they are on both platforms. Default: slack.',
      ),
  })
  .strict()
  .describe(
    'One person on every chat platform they use. Principals may name them by key or by any of their ids: either way it is the same person (one cannot approve on Teams what they asked for on Slack).',
  );
export type Person = z.infer<typeof Person>;

export const PersonKey = z.string().regex(PERSON_KEY, PERSON_KEY_RULE);

const ConfigFields = z
  .object({
    people: z
      .record(PersonKey, Person)
      .default({})
      .describe(
        'The people Slipway knows on several platforms, by key: alice: {slack: U012ABC, teams: <Entra ID object id>, name: Alice Doe}.',
      ),
    operator: z
      .string()
      .min(1)
      .default('operator')
      .describe(
        'Identity the slipway CLI acts as; give it rights through groups like anyone else.',
      ),
    admins: Principals.default([]).describe(
      'Principals with every right, including overriding locks and freezes.',
    ),
    groups: z
      .record(Name, Principals)
      .default({})
      .describe('Named lists of principals, referred to as "@name".'),
    environments: z.array(Environment).min(1),
    services: z.array(Service).min(1),
    autoDeploy: z.array(AutoDeployRule).default([]),
    builds: z
      .object({
        actor: z
          .string()
          .min(1)
          .default('ci')
          .describe(
            'Identity that builds reported to /hooks/build act as; give it rights through groups like anyone else.',
          ),
      })
      .strict()
      .default({ actor: 'ci' }),
    alerts: z
      .object({
        recentDeploy: Duration.default('30m').describe(
          'An alert for a service deployed this recently is tied to that deployment, with a Roll back button.',
        ),
        autoRollback: z
          .boolean()
          .default(false)
          .describe('Roll that deployment back at once instead of offering the button.'),
        channel: ChannelId.optional().describe(
          'Channel for alerts whose service has no channel of its own (Slack C012ABC, or "teams:19:…").',
        ),
      })
      .strict()
      .default({ recentDeploy: '30m', autoRollback: false }),
    links: LinkTemplates.default({}),
    grafana: GrafanaOptions.default({}),
    dora: z
      .object({ digest: DoraDigest.optional() })
      .strict()
      .default({})
      .describe('DORA metrics: the weekly digest posted to chat.'),
    engine: z
      .object({
        lease: Duration.default('30s').describe(
          'How long a process holds an active deployment without renewing its lease.',
        ),
        pollInterval: Duration.default('1s').describe(
          'How often idle workers look for queued work.',
        ),
        sweepInterval: Duration.default('5m').describe(
          'How often expired previews are looked for and torn down.',
        ),
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(16)
          .describe(
            'How many deployments one process runs at once; more wait in the queue. Each holds a lease and, with the command driver, a child process.',
          ),
      })
      .strict()
      .default({ lease: '30s', pollInterval: '1s', sweepInterval: '5m', concurrency: 16 }),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

/**
 * The loaded config names every person in `people` by their key, wherever a principal named
 * them by a platform id: policy then compares one id per person, whichever platform they act
 * from.
 */
export const Config = ConfigFields.transform(resolvePeople);
export type Config = z.infer<typeof Config>;
