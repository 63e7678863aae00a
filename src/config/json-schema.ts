import { z } from 'zod';
import { Config } from './schema.js';

/**
 * JSON Schema of slipway.yaml for editors (`# yaml-language-server: $schema=…`). Generated
 * from the zod schema so the two cannot drift; `io: 'input'` describes what a person writes,
 * where settings with defaults are optional. Cross-references (does "production" exist?) are
 * beyond JSON Schema: the loader checks those.
 */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(Config, {
    io: 'input',
    target: 'draft-2020-12',
    // Refinements (durations, cron, principals) have no JSON Schema form; the loader checks them.
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'Slipway configuration (slipway.yaml)',
    description:
      'Environments, services, who may deploy, approve and override freezes, and how each service is deployed. Secrets never go here: Slipway reads them from its environment.',
    ...rest,
  };
}
