import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/**
 * A secret from `NAME`, or from the file named by `NAME_FILE` (Kubernetes and Docker secrets
 * are mounted as files). Never from slipway.yaml.
 */
export function secretFrom(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  if (direct) return direct.trim();
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (!value)
      throw new ConfigError(
        `${name}_FILE points at ${file}, which is empty: put the secret in it.`,
      );
    return value;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `${name}_FILE points at ${file}, which cannot be read (${(err as Error).message}).`,
    );
  }
}
