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
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<Placeholder, string>;

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
