import {
  deref,
  findOperation,
  type Operation,
  type Parameter,
  restSpec,
  validatorFor,
} from './github-double-spec-rest.js';
import { type Json, type SpecViolation, violationsOf } from './github-double-spec-schema.js';
import { checkWebhook } from './github-double-spec-webhooks.js';

export { findOperation, type Operation, specVersions } from './github-double-spec-rest.js';
export { describeViolation, type SpecViolation } from './github-double-spec-schema.js';
export { checkWebhook } from './github-double-spec-webhooks.js';

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

const REPO = '/repos/o/r';

/** The operations and webhooks the GitHub double serves: its deployments always, the rest as asked. */
export function prepareDoubleChecks(serves: { actions: boolean; app: boolean }): void {
  const deployments: [string, string][] = [
    ['POST', `${REPO}/deployments`],
    ['GET', `${REPO}/deployments`],
    ['GET', `${REPO}/deployments/1`],
    ['POST', `${REPO}/deployments/1/statuses`],
    ['GET', `${REPO}/deployments/1/statuses`],
  ];
  const actions: [string, string][] = [
    ['POST', `${REPO}/actions/workflows/1/dispatches`],
    ['GET', `${REPO}/actions/workflows/1/runs`],
    ['GET', `${REPO}/actions/runs/1`],
    ['GET', `${REPO}/actions/runs/1/jobs`],
    ['POST', `${REPO}/actions/runs/1/cancel`],
  ];
  const app: [string, string][] = [['POST', '/app/installations/1/access_tokens']];
  const runEvents: [string, string][] = ['requested', 'in_progress', 'completed'].map((action) => [
    'workflow_run',
    action,
  ]);
  prepareChecks(
    [...deployments, ...(serves.actions ? actions : []), ...(serves.app ? app : [])],
    serves.actions ? runEvents : [],
  );
}
