import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { configJsonSchema } from './json-schema.js';

const EXAMPLE_PATH = new URL('../../examples/slipway.yaml', import.meta.url);
const example = readFileSync(EXAMPLE_PATH, 'utf8');

type Schema = {
  properties?: Record<string, Schema>;
  items?: Schema;
  description?: string;
  required?: string[];
};

function at(schema: Schema, ...path: string[]): Schema {
  let node = schema;
  for (const key of path) {
    const next = key === '[]' ? node.items : node.properties?.[key];
    if (!next) throw new Error(`no ${key} in schema at ${path.join('.')}`);
    node = next;
  }
  return node;
}

describe('configJsonSchema', () => {
  const schema = configJsonSchema();
  // zod reads JSON Schema back, which makes the generated document checkable without ajv.
  const validator = z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema);

  it('accepts the example as written', () => {
    const result = validator.safeParse(parse(example));
    expect(result.success, result.success ? '' : JSON.stringify(result.error.issues)).toBe(true);
  });

  it('refuses unknown keys and missing required ones, as an editor would flag them', () => {
    const broken = parse(example);
    broken.environments[0].protect = true;
    delete broken.services[0].name;
    const result = validator.safeParse(broken);
    expect(result.success).toBe(false);
    const paths = result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['environments.0', 'services.0.name']));
  });

  it('leaves settings with defaults optional (io: input)', () => {
    expect(at(schema as Schema, 'environments', '[]').required).toEqual(['name', 'order']);
    expect((schema as Schema).required).toEqual(['environments', 'services']);
  });

  it('has a title, an id and descriptions an editor can show', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.title).toContain('slipway.yaml');
    expect(at(schema as Schema, 'environments', '[]', 'protected').description).toContain(
      'service owners',
    );
    expect(
      at(schema as Schema, 'environments', '[]', 'freeze', '[]', 'cron').description,
    ).toContain('cron');
    expect(at(schema as Schema, 'services', '[]', 'environments').description).toContain(
      'default driver',
    );
    expect(at(schema as Schema, 'admins').description).toContain('every right');
  });

  it('is what examples/slipway.schema.json holds', () => {
    expect(example).toMatch(/^# yaml-language-server: \$schema=\.\/slipway\.schema\.json$/m);
    // Compared as data: biome formats the file its own way.
    const written = JSON.parse(
      readFileSync(new URL('../../examples/slipway.schema.json', import.meta.url), 'utf8'),
    );
    expect(
      written,
      'examples/slipway.schema.json is out of date: run `npx tsx src/cli/index.ts config schema > examples/slipway.schema.json && npx biome format --write examples/slipway.schema.json`',
    ).toEqual(schema);
  });
});
