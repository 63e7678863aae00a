import { createHash } from 'node:crypto';

/**
 * `{name}` placeholders substituted inside each argv element. The set is closed: an unknown name
 * is a config error (checked by the schema), because nothing else would ever expand it — no shell
 * runs, so `$VAR` and `${VAR}` stay literal too.
 */
export const PLACEHOLDERS = [
  'service',
  'version',
  'environment',
  'deploymentId',
  'correlationId',
  'previousVersion',
  'image',
  // The branch or tag a build came from ('' when CI did not say): one preview per branch.
  'ref',
  // The same as a DNS label and file name: "feature/Login" → "feature-login"; without a ref,
  // the version's ("1.3.0-rc.1" → "1-3-0-rc-1").
  'refSlug',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<Placeholder, string>;

const MAX_LABEL = 63;

/**
 * A ref name as one DNS label (and a safe file name): lowercase letters, digits and "-", at
 * most 63 characters. When that loses something, a hash of the full name keeps refs that read
 * alike ("feat/x", "feat-x") apart.
 */
export function refSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug === name && slug.length <= MAX_LABEL) return slug;
  if (name === '') return '';
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const head = slug.slice(0, MAX_LABEL - hash.length - 1).replace(/-+$/, '');
  return head ? `${head}-${hash}` : hash;
}

const PATTERN = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/** Names in `arg` that look like placeholders but are not ones Slipway knows. */
export function unknownPlaceholders(arg: string): string[] {
  return [...arg.matchAll(PATTERN)]
    .map((match) => match[1] ?? '')
    .filter((name) => !isPlaceholder(name));
}

/** True when any element of `argv` mentions `{name}`. */
export function usesPlaceholder(argv: readonly string[], name: Placeholder): boolean {
  return argv.some((arg) => arg.includes(`{${name}}`));
}

/** Substitutes every placeholder in every element; each element stays one argument. */
export function expandArgv(argv: readonly string[], values: PlaceholderValues): string[] {
  return argv.map((arg) =>
    arg.replace(PATTERN, (whole, name: string) => (isPlaceholder(name) ? values[name] : whole)),
  );
}
