import { z } from 'zod';
import { didYouMean } from './suggest.js';

/**
 * `links:` in slipway.yaml: named URL templates (a Grafana dashboard, logs in Loki or Explore)
 * that Slipway fills for a deployment or an alert and shows as buttons. The filling lives in
 * src/integrations/links; what may be written is checked here, at load.
 */

/**
 * What a template may use. `{from}` and `{to}` are epoch milliseconds around what is shown
 * (five minutes either side), `{to}` is `now` while it goes on: the form Grafana's `from`/`to`
 * URL parameters take.
 */
export const LINK_PLACEHOLDERS = [
  'service',
  'environment',
  'version',
  'deploymentId',
  'from',
  'to',
] as const;
export type LinkPlaceholder = (typeof LINK_PLACEHOLDERS)[number];

/** `{name}` around a bare identifier; braces around anything else (Explore's JSON) are text. */
export const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const ALL = LINK_PLACEHOLDERS.map((name) => `{${name}}`).join(' ');

/** Why a template cannot be filled into a web address, or null when it can. */
export function linkTemplateProblem(template: string): { message: string; fix: string } | null {
  const doubled = /\{\{\s*([\w.-]+)\s*\}\}/.exec(template);
  if (doubled) {
    return {
      message: `${doubled[0]} is template syntax Slipway does not read`,
      fix: `write placeholders with single braces: ${ALL}`,
    };
  }
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] as string;
    if ((LINK_PLACEHOLDERS as readonly string[]).includes(name)) continue;
    if (template[(match.index ?? 0) - 1] === '$') {
      return {
        message: `\${${name}} is Grafana's data link syntax, which Slipway does not fill`,
        fix: `Slipway fills ${ALL}: e.g. from={from}&to={to}`,
      };
    }
    return {
      message: `{${name}} is not a placeholder Slipway knows${didYouMean(name, LINK_PLACEHOLDERS)}`,
      fix: `use ${ALL}`,
    };
  }
  const sample = template.replace(PLACEHOLDER, '0');
  const url = URL.parse(sample);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return {
      message: `"${template}" is not a web address`,
      fix: 'write the whole address, starting with https:// (or http://)',
    };
  }
  return null;
}

const LinkTemplate = z
  .string()
  .min(1)
  .superRefine((template, ctx) => {
    const problem = linkTemplateProblem(template);
    if (problem)
      ctx.addIssue({ code: 'custom', message: problem.message, params: { fix: problem.fix } });
  })
  .describe(
    `A URL with placeholders, each value URL-encoded: ${ALL} ({from}: 5 minutes before the start, epoch ms; {to}: 5 minutes after the end, or "now" while it runs).`,
  );

/** A link's name is its button's label: `grafana` → "Grafana", `error-logs` → "Error logs". */
const LinkName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, 'use lowercase letters, digits and dashes')
  .describe('The button\'s label: "grafana" shows as Grafana, "error-logs" as Error logs.');

export const LinkTemplates = z
  .record(LinkName, LinkTemplate)
  .describe(
    'Named URL templates shown as buttons on deployment cards, alert messages and the dashboard, e.g. grafana: "https://grafana.example.com/d/abc/web?from={from}&to={to}&var-env={environment}".',
  );
export type LinkTemplates = z.infer<typeof LinkTemplates>;
