import { join } from 'node:path';
import type { Ajv as AjvInstance, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  AJV_OPTIONS,
  type Components,
  componentsOf,
  include,
  type Json,
  packageRoot,
  readJson,
  SPEC_FILE,
  type SpecViolation,
  violationsOf,
  withFormats,
} from './github-double-spec-schema.js';

/**
 * GitHub's webhooks held to their description (`@octokit/openapi-webhooks`, OpenAPI 3.1, so JSON
 * Schema 2020-12 as it stands): each event and action's payload schema compiled when first sent.
 */

interface WebhookSpec {
  doc: Json;
  ajv: AjvInstance;
  components: Components;
  validators: Map<string, ValidateFunction>;
}

let hooks: WebhookSpec | undefined;

/** Read once per worker, like the REST description (5 MB). */
function webhookSpec(): WebhookSpec {
  if (hooks) return hooks;
  const doc = readJson(join(packageRoot('@octokit/openapi-webhooks'), SPEC_FILE));
  // The webhooks' description is OpenAPI 3.1: JSON Schema 2020-12 as it stands.
  const ajv = withFormats(new Ajv2020(AJV_OPTIONS) as unknown as AjvInstance);
  hooks = { doc, ajv, components: componentsOf('webhooks', doc, ajv), validators: new Map() };
  return hooks;
}

/** Whether a webhook's payload is what the description says GitHub sends for that event and action. */
export function checkWebhook(event: string, payload: Json): SpecViolation[] {
  const spec = webhookSpec();
  const action = typeof payload.action === 'string' ? payload.action : undefined;
  const name = action === undefined ? event : `${event}.${action}`;
  const base = { kind: 'webhook' as const, operation: name, subject: `${event} webhook` };
  const webhooks = spec.doc.webhooks as Record<string, { post?: Json }>;
  const key = [event, action].filter(Boolean).join('-').replace(/_/g, '-');
  const definition = webhooks[key]?.post;
  if (!definition)
    return [
      {
        ...base,
        pointer: '',
        message: `GitHub sends no ${name} webhook (no "${key}" in the description)`,
      },
    ];
  let validate = spec.validators.get(key);
  if (!validate) {
    const content = (definition.requestBody as Json).content as Record<string, { schema: Json }>;
    const schema = content['application/json']?.schema ?? {};
    include(schema, spec.components);
    const ref = typeof schema.$ref === 'string' ? `webhooks${schema.$ref}` : undefined;
    validate = spec.ajv.compile(ref ? { $ref: ref } : schema);
    spec.validators.set(key, validate);
  }
  return validate(payload) ? [] : violationsOf(validate.errors, payload, '/body', base);
}

/** The webhooks' description's own version (`info.version`). */
export function webhooksInfoVersion(): string {
  return String((webhookSpec().doc.info as Json).version);
}
