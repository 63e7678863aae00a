import type { z } from 'zod';
import type { PathSegment } from './locate.js';
import { didYouMean, listOr } from './suggest.js';

/** A problem before it is placed in the file: the loader adds line and column. */
export interface RawIssue {
  path: PathSegment[];
  message: string;
  fix: string;
  /** Point at the key of the last path segment rather than its value. */
  key?: boolean;
}

type ZodIssue = z.core.$ZodIssue & { input?: unknown; params?: Record<string, unknown> };

/**
 * Turns zod's issues into sentences about slipway.yaml. zod's own texts ("Invalid input:
 * expected array, received string") say what but not how; each case here adds the repair.
 * `schema` is the schema that produced the issue, used to list the keys that are allowed.
 */
export function describeZodIssue(
  issue: ZodIssue,
  schema: z.ZodType,
  fallbackFix = 'compare this value with examples/slipway.yaml',
): RawIssue[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const last = path[path.length - 1];
  const name = typeof last === 'string' ? last : 'this item';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schema, path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        key: true,
        message: `unknown key "${key}"`,
        fix:
          known.length > 0
            ? `remove it or use a known key${didYouMean(key, known)}: ${known.join(', ')}`
            : 'remove it',
      }));
    }
    case 'invalid_type':
      return [typeIssue(path, name, issue.expected, issue.input)];
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      return [
        {
          path,
          message: `${JSON.stringify(issue.input)} is not allowed for ${name}`,
          fix: `write ${listOr(values)}${didYouMean(String(issue.input), issue.values.map(String))}`,
        },
      ];
    }
    case 'invalid_format':
      return [
        {
          path,
          message: `${JSON.stringify(issue.input)} is not a valid ${name}`,
          fix: issue.message,
        },
      ];
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'use another name';
      return [
        {
          path,
          key: true,
          message: `${JSON.stringify(issue.input)} is not a valid name here`,
          fix: inner,
        },
      ];
    }
    case 'too_small':
      return [sizeIssue(path, name, issue.origin, 'small', Number(issue.minimum), issue.input)];
    case 'too_big':
      return [sizeIssue(path, name, issue.origin, 'big', Number(issue.maximum), issue.input)];
    case 'invalid_union': {
      const branch = likelyBranch(issue.errors as ZodIssue[][], issue.input);
      if (branch) {
        return branch.flatMap((inner) =>
          describeZodIssue({ ...inner, path: [...issue.path, ...inner.path] }, schema, fallbackFix),
        );
      }
      return [
        {
          path,
          message: `${describeValue(issue.input)} is not a valid ${name}`,
          // A union may say what it accepts; zod's own text ("Invalid input") says nothing.
          fix: issue.message !== 'Invalid input' ? issue.message : fallbackFix,
        },
      ];
    }
    case 'custom': {
      const fix = issue.params?.fix;
      if (typeof fix === 'string') return [{ path, message: issue.message, fix }];
      // Schemas written without a separate fix (drivers' own) phrase the repair as the message.
      if (typeof issue.input === 'string' || typeof issue.input === 'number') {
        return [
          {
            path,
            message: `${JSON.stringify(issue.input)} is not a valid ${name}`,
            fix: issue.message,
          },
        ];
      }
      return [{ path, message: issue.message, fix: fallbackFix }];
    }
    default:
      return [{ path, message: issue.message, fix: fallbackFix }];
  }
}

/**
 * The alternative of a union the writer most likely meant, so its own problems are reported
 * instead of zod's "Invalid input": not one whose type differs from what was written, and,
 * for a mapping, not one that rejects the keys written when another accepts them. Null when
 * that leaves no single alternative.
 */
function likelyBranch(branches: ZodIssue[][], input: unknown): ZodIssue[] | null {
  const atRoot = (issue: ZodIssue) => issue.path.length === 0;
  const sameShape = branches.filter(
    (issues) =>
      !issues.some(
        (i) =>
          atRoot(i) &&
          (i.code === 'invalid_type' || (i.code === 'invalid_value' && isObject(input))),
      ),
  );
  if (sameShape.length === 1) return sameShape[0] ?? null;
  const keysFit = sameShape.filter(
    (issues) => !issues.some((i) => atRoot(i) && i.code === 'unrecognized_keys'),
  );
  return keysFit.length === 1 ? (keysFit[0] ?? null) : null;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

const MISSING_HINTS: Record<string, string> = {
  environments: 'add an environments list, e.g. "environments: [{ name: production, order: 0 }]"',
  services:
    'add a services list, e.g. "services: [{ name: web, driver: { driver: command, options: { deploy: [./deploy.sh, \'{version}\'] } } }]"',
  order: 'add "order: <n>": the environment\'s place in the promotion chain, from 0',
  cron: 'add "cron: \'0 16 * * 5\'" (when the freeze starts)',
  duration: 'add "duration: 64h" (how long the freeze lasts)',
  driver: 'add "driver: command" (or kubernetes, github-actions, argocd)',
  type: 'add "type: branch" or "type: tag"',
  pattern: 'add "pattern: main" (a glob on the branch or tag name)',
  environment: 'add "environment: staging"',
};

function typeIssue(path: PathSegment[], name: string, expected: string, input: unknown): RawIssue {
  if (input === undefined) {
    const hint =
      name === 'name'
        ? `add "name: ${path[0] === 'services' ? 'web' : 'staging'}"`
        : MISSING_HINTS[name];
    return { path, message: `${name} is missing`, fix: hint ?? `add "${name}"` };
  }
  if (input === null) {
    return {
      path,
      message: `${name} has no value`,
      fix: `give it ${article(expected)} or remove the key`,
    };
  }
  return {
    path,
    message: `${name} should be ${article(expected)}, not ${describeValue(input)}`,
    fix: typeFix(expected, input),
  };
}

function typeFix(expected: string, input: unknown): string {
  if (expected === 'array' && typeof input === 'string') return `write a list: [${input}]`;
  if (
    expected === 'number' &&
    typeof input === 'string' &&
    input.trim() !== '' &&
    !Number.isNaN(Number(input))
  ) {
    return `write ${input.trim()} without quotes`;
  }
  if (expected === 'boolean') return 'write true or false, without quotes';
  if (expected === 'object') return 'write a mapping: "key: value" lines indented under this key';
  if (expected === 'string')
    return 'write text here; quote it if it starts with a special character like @, * or {';
  return `write ${article(expected)} here`;
}

function sizeIssue(
  path: PathSegment[],
  name: string,
  origin: string,
  direction: 'small' | 'big',
  limit: number,
  input: unknown,
): RawIssue {
  if (origin === 'array') {
    if (direction === 'small' && limit === 1) {
      return {
        path,
        message: `${name} is empty`,
        fix: MISSING_HINTS[name] ?? `list at least one item under ${name}`,
      };
    }
    const bound = direction === 'small' ? 'at least' : 'at most';
    return {
      path,
      message: `${name} must list ${bound} ${limit} items`,
      fix: `list ${bound} ${limit} items`,
    };
  }
  if (origin === 'string') {
    return direction === 'small'
      ? { path, message: `${name} is empty`, fix: 'write a value or remove the key' }
      : { path, message: `${name} is longer than ${limit} characters`, fix: 'shorten it' };
  }
  const bound = direction === 'small' ? 'less than' : 'more than';
  return {
    path,
    message: `${name} is ${String(input)}, ${bound} the ${direction === 'small' ? 'minimum' : 'maximum'} ${limit}`,
    fix: `use a number ${direction === 'small' ? '≥' : '≤'} ${limit}`,
  };
}

function article(expected: string): string {
  const words: Record<string, string> = {
    array: 'a list',
    object: 'a mapping',
    string: 'text',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
  };
  return words[expected] ?? `a ${expected}`;
}

function describeValue(input: unknown): string {
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object' && input !== null) return 'a mapping';
  if (typeof input === 'string')
    return `the text ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`;
  return `${typeof input} ${String(input)}`;
}

interface Def {
  type?: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

/** Keys an object schema accepts at `path`, unwrapping defaults, lists, records and pipes. */
export function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const segment of [...path, null]) {
    current = unwrap(current);
    const def: Def | undefined = current?._zod.def as Def | undefined;
    if (!def) return [];
    if (segment === null) return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
    if (def.type === 'object') current = def.shape?.[String(segment)];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return [];
  }
  return [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 10; depth++) {
    const def = current._zod.def as Def;
    const next = def.type === 'pipe' ? def.in : def.innerType;
    if (!next || def.type === 'object' || def.type === 'array' || def.type === 'record') break;
    current = next;
  }
  return current;
}
