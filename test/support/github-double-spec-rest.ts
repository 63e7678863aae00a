import { join } from 'node:path';
import type { Ajv as AjvInstance, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import {
  AJV_OPTIONS,
  type Components,
  componentsOf,
  include,
  type Json,
  packageRoot,
  readJson,
  SPEC_FILE,
  withFormats,
} from './github-double-spec-schema.js';
import { webhooksInfoVersion } from './github-double-spec-webhooks.js';

/**
 * GitHub's REST description (`@octokit/openapi`, api.github.com, OpenAPI 3.0) as the double's
 * checks use it (github-double-spec.ts): read once, its path templates indexed, an operation
 * found by method and path, and each schema compiled the first time it is asked for.
 */

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Json;
}

export interface Operation {
  operationId: string;
  method: string;
  template: string;
  definition: Json;
  pathParams: Record<string, string>;
}

/** The versions the double follows: each package's and its description's own `info.version`. */
export function specVersions(): Record<
  'openapi' | 'openapiInfo' | 'webhooks' | 'webhooksInfo',
  string
> {
  const version = (name: string) =>
    String(readJson(join(packageRoot(name), 'package.json')).version);
  return {
    openapi: version('@octokit/openapi'),
    openapiInfo: String((restSpec().doc.info as Json).version),
    webhooks: version('@octokit/openapi-webhooks'),
    webhooksInfo: webhooksInfoVersion(),
  };
}

interface RestSpec {
  doc: Json;
  ajv: AjvInstance;
  components: Components;
  /** Path templates by their number of segments, the most literal first. */
  templates: Map<
    number,
    { template: string; pattern: RegExp; names: string[]; literals: number; segments: number }[]
  >;
  validators: Map<string, ValidateFunction>;
  normalized: WeakSet<object>;
}

let rest: RestSpec | undefined;

/** Read once per worker (13 MB of JSON): every test file that starts the double needs it. */
export function restSpec(): RestSpec {
  if (rest) return rest;
  const doc = readJson(join(packageRoot('@octokit/openapi'), SPEC_FILE));
  correct(doc);
  const ajv = withFormats(new Ajv(AJV_OPTIONS));
  const components = componentsOf('spec', doc, ajv);
  const templates = indexTemplates(doc);
  rest = {
    doc,
    ajv,
    components,
    templates,
    validators: new Map(),
    normalized: new WeakSet(),
  };
  return rest;
}

/** GitHub's date search syntax: `>=2026-02-19T10:00:00Z`, `<2026-02-19`, `A..B`. */
const DATE = '\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2})?(Z|[+-]\\d{2}:\\d{2})?)?';
const DATE_SEARCH = `^((>=|<=|>|<)?${DATE}|(${DATE}|\\*)\\.\\.(${DATE}|\\*))$`;

/**
 * Where the description contradicts itself, the words win over the schema. Each correction says
 * what the description's own text says; keep this list short and re-check it on each refresh.
 */
function correct(doc: Json): void {
  const parameters = (doc.components as Json).parameters as Record<string, Parameter>;
  // `created` (list workflow runs): "created within the given date-time range. For more
  // information on the syntax, see Understanding the search syntax", yet typed `format: date-time`,
  // which no range such as `>=2026-02-19T10:00:00Z` can satisfy.
  if (parameters.created?.schema?.format === 'date-time')
    parameters.created.schema = { type: 'string', pattern: DATE_SEARCH };
}

type Template = RestSpec['templates'] extends Map<number, (infer T)[]> ? T : never;

/**
 * Path templates by their number of segments, the most literal first; those with a parameter
 * that may span segments (`x-multi-segment`, as a git ref's `heads/feature/x`) under 0.
 */
function indexTemplates(doc: Json): RestSpec['templates'] {
  const templates = Object.entries(doc.paths as Record<string, Json>).map(([template, item]) => {
    const spanning = multiSegment(doc, item);
    const names: string[] = [];
    const source = template.replace(/\{([^}]+)\}|[^{}]+/g, (all, name: string | undefined) => {
      if (name === undefined) return all.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(name);
      return spanning.has(name) ? '(.+)' : '([^/]+)';
    });
    const literals = template.split('/').filter((s) => s && !s.includes('{')).length;
    const segments = spanning.size > 0 ? 0 : template.split('/').length;
    return { template, pattern: new RegExp(`^${source}$`), names, literals, segments };
  });
  templates.sort((a, b) => b.literals - a.literals);
  const index: RestSpec['templates'] = new Map();
  for (const t of templates) index.set(t.segments, [...(index.get(t.segments) ?? []), t]);
  return index;
}

function multiSegment(doc: Json, item: Json): Set<string> {
  const lists = Object.entries(item).map(([key, value]) =>
    key === 'parameters' ? value : (value as Json).parameters,
  );
  const parameters = lists.flatMap((list) => (list as unknown[] | undefined) ?? []);
  return new Set(
    parameters
      .map((p) => derefIn<Parameter & { 'x-multi-segment'?: boolean }>(doc, p))
      .filter((p) => p['x-multi-segment'] === true)
      .map((p) => p.name),
  );
}

/** The operation a method and path stand for in the description, or why there is none. */
export function findOperation(method: string, path: string): Operation | string {
  const spec = restSpec();
  const candidates: Template[] = [
    ...(spec.templates.get(path.split('/').length) ?? []),
    ...(spec.templates.get(0) ?? []),
  ];
  for (const { template, pattern, names } of candidates) {
    const m = pattern.exec(path);
    if (!m) continue;
    const item = (spec.doc.paths as Record<string, Json>)[template] ?? {};
    const definition = item[method.toLowerCase()] as Json | undefined;
    if (!definition)
      return `${method} is not an operation of ${template} (it has ${Object.keys(item)
        .filter((k) => k !== 'parameters')
        .map((k) => k.toUpperCase())
        .join(', ')})`;
    const pathParams: Record<string, string> = {};
    names.forEach((name, i) => {
      pathParams[name] = decodeURIComponent(m[i + 1] ?? '');
    });
    return {
      operationId: String(definition.operationId),
      method: method.toUpperCase(),
      template,
      definition,
      pathParams,
    };
  }
  return `no operation of api.github.com has the path ${path}`;
}

/** Follows a local `$ref` (`#/components/parameters/x`) to what it names. */
export function deref<T>(node: unknown): T {
  return derefIn<T>(restSpec().doc, node);
}

function derefIn<T>(doc: Json, node: unknown): T {
  const ref = (node as { $ref?: string } | null)?.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return node as T;
  let at: unknown = doc;
  for (const part of ref.slice(2).split('/'))
    at = (at as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return derefIn<T>(doc, at);
}

const CHILD_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;

/**
 * OpenAPI 3.0's `nullable: true` is not JSON Schema: it becomes `null` among the types (and the
 * enum), in place, for the schema and every component it reaches. Components are rewritten once.
 */
function normalize(node: unknown, spec: RestSpec): void {
  if (node === null || typeof node !== 'object' || spec.normalized.has(node)) return;
  spec.normalized.add(node);
  const schema = node as Json;
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/'))
    normalize(deref(schema), spec);
  if (schema.nullable === true) {
    if (typeof schema.type === 'string') {
      schema.type = [schema.type, 'null'];
      if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
    } else {
      const inner: Json = { ...schema };
      delete inner.nullable;
      for (const key of Object.keys(schema)) delete schema[key];
      schema.anyOf = [inner, { type: 'null' }];
      spec.normalized.add(inner);
      normalizeChildren(inner, spec);
      return;
    }
  }
  delete schema.nullable;
  normalizeChildren(schema, spec);
}

function normalizeChildren(schema: Json, spec: RestSpec): void {
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/'))
    normalize(deref(schema), spec);
  for (const value of Object.values((schema.properties as Json | undefined) ?? {}))
    normalize(value, spec);
  for (const key of ['items', 'additionalProperties', 'not'])
    if (typeof schema[key] === 'object') normalize(schema[key], spec);
  for (const key of CHILD_LISTS)
    for (const child of (schema[key] as unknown[] | undefined) ?? []) normalize(child, spec);
}

/** A copy whose `#/components/…` refs point into the `spec` schema ajv holds. */
function anchored(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema), (key, value) =>
    key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `spec${value}` : value,
  );
}

/** The compiled validator of one schema of the description, compiled the first time it is asked. */
export function validatorFor(key: string, schema: () => unknown): ValidateFunction {
  const spec = restSpec();
  const known = spec.validators.get(key);
  if (known) return known;
  const raw = schema();
  normalize(raw, spec);
  include(raw, spec.components);
  const compiled = spec.ajv.compile(anchored(raw) as object);
  spec.validators.set(key, compiled);
  return compiled;
}
