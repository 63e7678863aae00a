import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as formatsModule from 'ajv-formats';

/**
 * GitHub's own machine-readable descriptions, for the GitHub double's tests: the REST API's
 * OpenAPI description (`@octokit/openapi`, api.github.com flavour, OpenAPI 3.0) and the
 * webhooks' (`@octokit/openapi-webhooks`, OpenAPI 3.1). Both are JSON Schema underneath, so they
 * are checked with a JSON Schema validator (ajv) rather than zod: translating 800 operations into
 * zod by hand would be our reading of GitHub again, which is what this is here to rule out.
 *
 * Compiling the whole description takes far too long for a test, so each operation's schemas are
 * compiled the first time a request for it is seen, with `$ref`s resolved into the components on
 * demand (the components are one schema with the id `spec`), and kept for the rest of the worker.
 */

/** What the description does not allow, where, and in which operation (or webhook). */
export interface SpecViolation {
  kind: 'request' | 'response' | 'webhook';
  /** The operationId (`actions/create-workflow-dispatch`), or the webhook (`workflow_run.completed`). */
  operation: string;
  /** What was checked: `POST /repos/acme/web/deployments`, `201 from …`, `workflow_run webhook`. */
  subject: string;
  /** JSON pointer into what was checked: `/body/ref`, `/query/per_page`, `/path/run_id`, `/body`. */
  pointer: string;
  message: string;
}

export function describeViolation(v: SpecViolation): string {
  return `${v.kind} ${v.operation} (${v.subject}) at ${v.pointer || '/'}: ${v.message}`;
}

type Json = Record<string, unknown>;

interface Parameter {
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

export interface RequestInput {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The body as sent, before parsing: '' when none was sent. */
  rawBody: string;
}

export interface RequestCheck {
  /** The operation the request is for, when one matches its method and path. */
  operation: Operation | null;
  violations: SpecViolation[];
  /** How GitHub answers such a request: 404 for no such operation, 400 bad JSON, 422 invalid. */
  status: number;
  message: string;
}

const require = createRequire(import.meta.url);

/**
 * Compiling is what the check costs, once per test file: a component is compiled once and
 * shared rather than inlined in each schema that uses it, required properties are checked in a
 * loop rather than one statement each (a repository requires 80), and ajv's code optimisation
 * is skipped. Measured on the operations Slipway uses and the `workflow_run` webhooks (2 shared
 * cores, load 18): 0.9–1.2 s to compile the ten operations and 2.6–2.9 s the webhooks with
 * ajv's defaults, 0.5 s and 1.05 s so.
 */
const AJV_OPTIONS = {
  strict: false,
  allErrors: false,
  inlineRefs: false,
  loopRequired: 8,
  code: { optimize: false },
} as const;
const SPEC_FILE = 'generated/api.github.com.json';

function packageRoot(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
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
    webhooksInfo: String((webhookSpec().doc.info as Json).version),
  };
}

// ajv-formats is CommonJS with a default export; reached through the namespace either way.
const addFormats = ((formatsModule as unknown as { default?: unknown }).default ??
  formatsModule) as unknown as (ajv: AjvInstance) => AjvInstance;

function withFormats(ajv: AjvInstance): AjvInstance {
  addFormats(ajv);
  const uri = /^[a-z][a-z0-9+.-]*:[^\s]*$/i;
  // GitHub answers "" for a deployment status's target_url, log_url and environment_url when none
  // was given (each is `default: ""` in the description) though they are declared `format: uri`.
  ajv.addFormat('uri', (value: string) => value === '' || uri.test(value));
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
  return ajv;
}

/**
 * The components ajv holds under one id (`spec`, `webhooks`). Handing ajv all of them at once
 * costs about a second, as it walks every one looking for ids; so `root` starts empty and each
 * component is put in it the first time a compiled schema reaches it, before that compile.
 */
interface Components {
  root: { $id: string; components: { schemas: Json } };
  all: Json;
  included: WeakSet<object>;
}

const COMPONENT = '#/components/schemas/';

function componentsOf(id: string, doc: Json, ajv: AjvInstance): Components {
  const root = { $id: id, components: { schemas: {} } };
  ajv.addSchema(root, id);
  return { root, all: (doc.components as Json).schemas as Json, included: new WeakSet() };
}

/** Puts in `root` every component `node` refers to, and theirs in turn. */
function include(node: unknown, c: Components): void {
  if (node === null || typeof node !== 'object' || c.included.has(node)) return;
  c.included.add(node);
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT)) {
      const name = value.slice(COMPONENT.length);
      if (name in c.root.components.schemas) continue;
      c.root.components.schemas[name] = c.all[name];
      include(c.all[name], c);
    } else if (key !== 'example' && key !== 'examples') include(value, c);
  }
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
function restSpec(): RestSpec {
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
function deref<T>(node: unknown): T {
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
function validatorFor(key: string, schema: () => unknown): ValidateFunction {
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

function violationsOf(
  errors: ErrorObject[] | null | undefined,
  data: unknown,
  at: string,
  base: Omit<SpecViolation, 'pointer' | 'message'>,
): SpecViolation[] {
  return (errors ?? []).slice(0, 5).map((e) => {
    const extra =
      e.keyword === 'required'
        ? `/${(e.params as { missingProperty: string }).missingProperty}`
        : e.keyword === 'additionalProperties'
          ? `/${(e.params as { additionalProperty: string }).additionalProperty}`
          : '';
    const value = valueAt(data, e.instancePath);
    const what =
      e.keyword === 'required'
        ? 'is required but missing'
        : e.keyword === 'additionalProperties'
          ? 'is not a property the description allows here (additionalProperties: false)'
          : e.keyword === 'maxProperties'
            ? `the maximum number of properties is ${(e.params as { limit: number }).limit}`
            : e.keyword === 'type'
              ? `${JSON.stringify(value)} is not ${article(String((e.params as { type: string }).type))}`
              : e.keyword === 'enum'
                ? `${JSON.stringify(value)} is not one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`
                : `${JSON.stringify(value)} ${e.message ?? 'is invalid'}`;
    return { ...base, pointer: `${at}${e.instancePath}${extra}`, message: what };
  });
}

function article(type: string): string {
  return type.includes(',') ? `one of ${type}` : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function valueAt(data: unknown, pointer: string): unknown {
  let at = data;
  for (const part of pointer.split('/').slice(1))
    at = (at as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return at;
}

/** A path or query value is a string on the wire: it passes as it is or as the number/flag it spells. */
function checkParameter(
  operation: Operation,
  parameter: Parameter,
  value: string,
  base: Omit<SpecViolation, 'pointer' | 'message'>,
): SpecViolation[] {
  const validate = validatorFor(`${operation.operationId} ${parameter.in} ${parameter.name}`, () =>
    structuredClone(parameter.schema ?? {}),
  );
  if (validate(value)) return [];
  const errors = validate.errors;
  if (/^-?\d+(\.\d+)?$/.test(value) && validate(Number(value))) return [];
  if ((value === 'true' || value === 'false') && validate(value === 'true')) return [];
  return violationsOf(errors, value, `/${parameter.in}/${parameter.name}`, base);
}

function parametersOf(operation: Operation): Parameter[] {
  const item = (restSpec().doc.paths as Record<string, Json>)[operation.template] ?? {};
  const all = [
    ...((item.parameters as unknown[] | undefined) ?? []),
    ...((operation.definition.parameters as unknown[] | undefined) ?? []),
  ].map((p) => deref<Parameter>(p));
  return all;
}

/** Whether the request is one the description allows, and how GitHub would refuse it if not. */
export function checkRequest(input: RequestInput): RequestCheck {
  const subject = `${input.method} ${input.path}`;
  const found = findOperation(input.method, input.path);
  if (typeof found === 'string')
    return {
      operation: null,
      violations: [{ kind: 'request', operation: '(none)', subject, pointer: '', message: found }],
      status: 404,
      message: 'Not Found',
    };
  const base = { kind: 'request' as const, operation: found.operationId, subject };
  const parameters = parametersOf(found);
  const pathViolations = parameters
    .filter((p) => p.in === 'path')
    .flatMap((p) => checkParameter(found, p, found.pathParams[p.name] ?? '', base));
  if (pathViolations.length > 0)
    return { operation: found, violations: pathViolations, status: 404, message: 'Not Found' };
  const queryViolations = checkQuery(found, parameters, input.query, base);
  const body = checkBody(found, input.rawBody, base);
  const violations = [...queryViolations, ...body.violations];
  if (violations.length === 0) return { operation: found, violations, status: 0, message: '' };
  return {
    operation: found,
    violations,
    status: body.status || 422,
    message: body.message || githubMessage(violations),
  };
}

function checkQuery(
  operation: Operation,
  parameters: Parameter[],
  query: Record<string, string>,
  base: Omit<SpecViolation, 'pointer' | 'message'>,
): SpecViolation[] {
  const declared = parameters.filter((p) => p.in === 'query');
  const out: SpecViolation[] = [];
  for (const name of Object.keys(query))
    if (!declared.some((p) => p.name === name))
      out.push({
        ...base,
        pointer: `/query/${name}`,
        message: `is not a query parameter of this operation (GitHub ignores it silently); it takes ${declared.map((p) => p.name).join(', ') || 'none'}`,
      });
  for (const parameter of declared) {
    const value = query[parameter.name];
    if (value === undefined) {
      if (parameter.required)
        out.push({
          ...base,
          pointer: `/query/${parameter.name}`,
          message: 'is required but missing',
        });
      continue;
    }
    out.push(...checkParameter(operation, parameter, value, base));
  }
  return out;
}

function checkBody(
  operation: Operation,
  rawBody: string,
  base: Omit<SpecViolation, 'pointer' | 'message'>,
): { violations: SpecViolation[]; status: number; message: string } {
  const ok = { violations: [], status: 0, message: '' };
  const requestBody = deref<Json | undefined>(operation.definition.requestBody);
  const schema = (requestBody?.content as Record<string, { schema?: unknown }> | undefined)?.[
    'application/json'
  ]?.schema;
  const text = rawBody.trim();
  if (!requestBody || schema === undefined) {
    if (text === '' || text === '{}') return ok;
    return {
      violations: [
        { ...base, pointer: '/body', message: 'the operation takes no body, but one was sent' },
      ],
      status: 422,
      message: 'Invalid request.\n\nThis endpoint takes no body.',
    };
  }
  if (text === '') {
    if (!requestBody.required) return ok;
    return {
      violations: [
        { ...base, pointer: '/body', message: 'a JSON body is required but none was sent' },
      ],
      status: 400,
      message: 'Problems parsing JSON',
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      violations: [{ ...base, pointer: '/body', message: 'the body is not JSON' }],
      status: 400,
      message: 'Problems parsing JSON',
    };
  }
  const validate = validatorFor(`${operation.operationId} request`, () => structuredClone(schema));
  if (validate(body)) return ok;
  return { violations: violationsOf(validate.errors, body, '/body', base), status: 0, message: '' };
}

/** GitHub's wording for a body its schema refuses: `Invalid request.\n\nFor 'properties/ref', 1 is not a string.` */
function githubMessage(violations: SpecViolation[]): string {
  const lines = violations.map((v) => {
    const field = v.pointer.split('/').slice(2).join('/');
    if (v.message === 'is required but missing') return `"${field}" wasn't supplied.`;
    return `For 'properties/${field}', ${v.message}.`;
  });
  return `Invalid request.\n\n${lines.join('\n')}`;
}

/** The error shapes GitHub answers with on any operation, documented there or not. */
const ERROR_SCHEMAS = ['basic-error', 'validation-error', 'validation-error-simple'];

/**
 * Whether an answer is one the operation documents: its status among the operation's (GitHub
 * answers 401, 403, 404, 422, 429 and 5xx on any operation, so an undocumented error status
 * passes when its body is one of GitHub's error shapes), and its JSON body valid for that status.
 */
export function checkResponse(
  operation: Operation,
  subject: string,
  status: number,
  body: unknown,
): SpecViolation[] {
  const base = {
    kind: 'response' as const,
    operation: operation.operationId,
    subject: `${status} to ${subject}`,
  };
  const responses = operation.definition.responses as Json;
  const documented = deref<Json | undefined>(responses[String(status)]);
  const content = documented?.content as Record<string, { schema?: unknown }> | undefined;
  const json =
    content?.['application/json'] ??
    Object.entries(content ?? {}).find(([type]) => type.includes('json'))?.[1];
  if (!json?.schema) {
    // GitHub's errors carry a body whether the description shows one for the status or not.
    if (status >= 400) return checkErrorShape(body, base);
    if (!documented)
      return [
        {
          ...base,
          pointer: '/status',
          message: `${status} is not a status this operation documents (${Object.keys(responses).join(', ')})`,
        },
      ];
    if (body === undefined) return [];
    return [
      {
        ...base,
        pointer: '/body',
        message: `status ${status} documents no body, but one was sent`,
      },
    ];
  }
  // A 5xx from a proxy in front of GitHub may carry no JSON at all.
  if (body === undefined && status >= 500) return [];
  if (body === undefined)
    return [
      {
        ...base,
        pointer: '/body',
        message: `status ${status} documents a JSON body, but none was sent`,
      },
    ];
  const schema = json.schema;
  const validate = validatorFor(`${operation.operationId} ${status}`, () =>
    structuredClone(schema),
  );
  return validate(body) ? [] : violationsOf(validate.errors, body, '/body', base);
}

function checkErrorShape(
  body: unknown,
  base: Omit<SpecViolation, 'pointer' | 'message'>,
): SpecViolation[] {
  if (body === undefined) return [];
  const validate = validatorFor('error shapes', () => ({
    anyOf: ERROR_SCHEMAS.map((name) => ({ $ref: `#/components/schemas/${name}` })),
  }));
  return validate(body) ? [] : violationsOf(validate.errors, body, '/body', base);
}

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
  const definition = webhooks[key]?.post ?? (action === undefined ? undefined : undefined);
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

/**
 * Compiles, ahead of use, the checks of these operations (a method and an example path each:
 * their request body and every JSON answer they document) and of these webhooks.
 */
export function prepareChecks(operations: [string, string][], webhooks: [string, string?][]): void {
  for (const [method, path] of operations) {
    const found = findOperation(method, path);
    if (typeof found === 'string')
      throw new Error(`the GitHub double serves ${method} ${path}: ${found}`);
    checkRequest({ method, path, query: {}, rawBody: '{}' });
    for (const status of Object.keys(found.definition.responses as Json))
      if (/^\d+$/.test(status)) checkResponse(found, '', Number(status), {});
  }
  for (const [event, action] of webhooks) checkWebhook(event, action ? { action } : {});
}
