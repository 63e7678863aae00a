import { readFileSync } from 'node:fs';
// Test support only: Argo CD publishes its API as Swagger 2.0 (JSON Schema), which zod cannot
// read; ajv checks the double against that description as written, so nobody re-types it.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { Json } from './argocd-controller.js';

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

const HERE = new URL('./argocd/', import.meta.url);
const ID = 'argocd-swagger.json';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'body';
  type?: string;
  required?: boolean;
  schema?: Json;
  items?: Json;
}

interface Operation {
  id: string;
  method: string;
  template: string;
  pattern: RegExp;
  parameters: Parameter[];
  responses: Record<string, { schema?: Json }>;
}

/** Where the description came from (test/support/argocd/source.json). */
export interface SpecSource {
  commit: string;
  committed: string;
  version: string;
}

/**
 * Argo CD's API description (test/support/argocd/swagger.json), turned into checks of requests,
 * answers and stream events. Each returns the problems found, as sentences; none means allowed.
 */
export interface ArgoCdSpec {
  readonly source: SpecSource;
  /** The operation `method path` is, or null when the description has none. */
  operation(method: string, path: string): string | null;
  checkRequest(operation: string, query: URLSearchParams, body: Json): string[];
  /** An answer: the `200` schema for 2xx, else `default` (grpc-gateway's runtimeError). */
  checkResponse(operation: string, status: number, body: Json): string[];
  /** One object of a streaming operation: `{"result": …}` or `{"error": …}`. */
  checkStreamChunk(operation: string, chunk: Json): string[];
  /** A value against one of the description's definitions, e.g. `v1alpha1Application`. */
  checkDefinition(name: string, value: Json): string[];
  /**
   * Compiles the checks of `operations` and `definitions` now rather than on first use, so that
   * the first request a double serves is not slowed by it (a client's timeout runs meanwhile).
   */
  prepare(operations: string[], definitions?: string[]): void;
  /** The sentence a violation is told in: the operation, the description's commit, the problems. */
  describe(what: string, operation: string, problems: string[]): string;
}

/**
 * One description per process: it is a file of the repository that never changes while tests
 * run, and compiling its Application schema takes tens of milliseconds, so each operation's
 * validators are compiled once, when first used, and shared by every double.
 */
let loaded: ArgoCdSpec | null = null;

export function argoCdSpec(): ArgoCdSpec {
  loaded ??= load();
  return loaded;
}

function load(): ArgoCdSpec {
  const swagger = JSON.parse(readFileSync(new URL('swagger.json', HERE), 'utf8'));
  const source = JSON.parse(readFileSync(new URL('source.json', HERE), 'utf8')) as SpecSource;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: ID, definitions: closeDefinitions(swagger.definitions) });
  const operations = operationsOf(swagger.paths);
  const byId = new Map(operations.map((op) => [op.id, op]));
  const compiled = new Map<string, ValidateFunction>();

  const validator = (key: string, schema: Json): ValidateFunction => {
    let fn = compiled.get(key);
    if (!fn) {
      fn = ajv.compile(rewriteRefs(structuredClone(schema)));
      compiled.set(key, fn);
    }
    return fn;
  };
  const check = (key: string, schema: Json, value: Json, root: string): string[] => {
    const fn = validator(key, schema);
    const sent = root === 'body' || root.startsWith('v1alpha1');
    return fn(value) ? [] : (fn.errors ?? []).map((e) => explainError(e, root, sent));
  };
  const op = (id: string): Operation => {
    const found = byId.get(id);
    if (!found) throw new Error(`assets/swagger.json has no operation ${id}`);
    return found;
  };

  return {
    source,
    operation(method, path) {
      const upper = method.toUpperCase();
      return operations.find((o) => o.method === upper && o.pattern.test(path))?.id ?? null;
    },
    checkRequest(id, query, body) {
      const operation = op(id);
      const problems = checkQuery(operation, query);
      const param = operation.parameters.find((p) => p.in === 'body');
      if (!param) {
        if (body !== null && body !== undefined) problems.push('takes no body, but one was sent');
        return problems;
      }
      if (body === null || body === undefined) {
        return param.required ? [...problems, 'needs a body, none was sent'] : problems;
      }
      return [...problems, ...check(`${id} body`, param.schema, body, 'body')];
    },
    checkResponse(id, status, body) {
      const responses = op(id).responses;
      const key = status >= 200 && status < 300 ? '200' : 'default';
      const schema = responses[key]?.schema ?? responses.default?.schema;
      if (!schema) return [`has no answer ${status} in the description`];
      return check(`${id} ${key}`, schema, body, `answer ${status}`);
    },
    checkStreamChunk(id, chunk) {
      const schema = op(id).responses['200']?.schema;
      if (!schema?.title?.startsWith('Stream result of')) return [`${id} is not a stream`];
      return check(`${id} 200`, schema, chunk, 'stream event');
    },
    checkDefinition(name, value) {
      return check(`#${name}`, { $ref: `#/definitions/${name}` }, value, name);
    },
    prepare(ids, definitions = []) {
      for (const name of definitions) validator(`#${name}`, { $ref: `#/definitions/${name}` });
      for (const id of ids) {
        const { parameters, responses } = op(id);
        const body = parameters.find((p) => p.in === 'body');
        if (body) validator(`${id} body`, body.schema);
        for (const key of ['200', 'default']) {
          const schema = responses[key]?.schema;
          if (schema) validator(`${id} ${key}`, schema);
        }
      }
    },
    describe(what, id, problems) {
      const operation = byId.get(id);
      const where = operation ? ` (${operation.method} ${operation.template})` : '';
      return `${what} ${id}${where} breaks Argo CD's API description (assets/swagger.json at argo-cd ${source.commit.slice(0, 7)}, ${source.version}): ${problems.join('; ')}`;
    },
  };
}

function operationsOf(paths: Json): Operation[] {
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries<Json>(paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const [method, spec] of Object.entries<Json>(methods)) {
      operations.push({
        id: spec.operationId,
        method: method.toUpperCase(),
        template,
        pattern,
        parameters: spec.parameters ?? [],
        responses: spec.responses ?? {},
      });
    }
  }
  // A literal segment wins over a parameter (…/manifestsWithFiles before …/{name}).
  const params = (o: Operation) => (o.template.match(/\{/g) ?? []).length;
  return operations.sort((a, b) => params(a) - params(b));
}

/**
 * grpc-gateway (v1.16, runtime/query.go) ignores query parameters it has no field for, and
 * parses the rest by type: an unknown name is a filter Argo CD never applies.
 */
function checkQuery(operation: Operation, query: URLSearchParams): string[] {
  const problems: string[] = [];
  for (const name of new Set(query.keys())) {
    const param = operation.parameters.find((p) => p.in === 'query' && p.name === name);
    if (!param) {
      problems.push(
        `query parameter "${name}" is not in the description (grpc-gateway ignores it)`,
      );
      continue;
    }
    const values = query.getAll(name);
    if (param.type !== 'array' && values.length > 1) {
      problems.push(`query parameter "${name}" is given ${values.length} times; it takes one`);
    }
    const type = param.type === 'array' ? param.items?.type : param.type;
    for (const value of values) {
      if (type === 'boolean' && !['true', 'false'].includes(value)) {
        problems.push(`query parameter "${name}" must be true or false, not "${value}"`);
      } else if (type === 'integer' && !/^-?\d+$/.test(value)) {
        problems.push(`query parameter "${name}" must be an integer, not "${value}"`);
      }
    }
  }
  return problems;
}

/**
 * The definitions as the check reads them. Objects are closed (argocd-server's encoding/json
 * drops a field it does not know without a word, util/grpc/json.go, so one is a mistake), except
 * the one built with allOf (v1alpha1ResourceNode), whose fields come from elsewhere. Integers are
 * JSON numbers (encoding/json again; argo-cd's hack/generate-proto.sh rewrites string/int64
 * properties to integer but not array items such as sourcePositions). A zero metav1.Time is
 * marshalled as null.
 */
function closeDefinitions(definitions: Json): Json {
  const out = structuredClone(definitions);
  const walk = (schema: Json): void => {
    if (!schema || typeof schema !== 'object') return;
    if (schema.type === 'string' && /^u?int(32|64)$/.test(schema.format ?? '')) {
      schema.type = 'integer';
    }
    if (schema.properties && schema.additionalProperties === undefined && !schema.allOf) {
      schema.additionalProperties = false;
    }
    for (const value of Object.values(schema)) walk(value);
  };
  for (const schema of Object.values(out)) walk(schema);
  out.v1Time = { ...out.v1Time, type: ['string', 'null'] };
  out.v1MicroTime = out.v1MicroTime && { ...out.v1MicroTime, type: ['string', 'null'] };
  return out;
}

function rewriteRefs(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `${ID}${value}`
        : rewriteRefs(value);
  }
  return out;
}

/** `sent`: a value Slipway sends (argocd-server would drop an unknown field); else an answer. */
function explainError(error: ErrorObject, root: string, sent: boolean): string {
  const at = `${root}${error.instancePath.replace(/\//g, '.')}`;
  if (error.keyword === 'additionalProperties') {
    const field = (error.params as { additionalProperty: string }).additionalProperty;
    const why = sent ? 'argocd-server would drop it silently' : 'argocd-server never sends it';
    return `${at}.${field} is not in the description (${why})`;
  }
  return `${at} ${error.message ?? 'is invalid'}`;
}
