import type { z } from 'zod';
import type { CheckInput, LooseService } from './checks.js';
import { describeZodIssue, type RawIssue } from './issues.js';
import type { PathSegment } from './locate.js';
import { bindingOf } from './lookup.js';
import { didYouMean } from './suggest.js';

/** Driver id → schema of its options; the registry in src/drivers provides the real one. */
export type DriverSchemas = ReadonlyMap<string, z.ZodType>;

/**
 * Checks that every driver named exists and that the options each (service, environment)
 * would run with are valid, at start rather than at the first deploy. Options merged from the
 * service default and an environment entry are reported where the offending key is written.
 */
export function driverIssues(input: CheckInput, schemas: DriverSchemas): RawIssue[] {
  const issues: RawIssue[] = [];
  input.services.forEach((service, index) => {
    if (service) issues.push(...serviceDriverIssues(service, index, schemas));
  });
  return dedupe(issues);
}

function serviceDriverIssues(
  service: LooseService,
  index: number,
  schemas: DriverSchemas,
): RawIssue[] {
  const base: PathSegment[] = ['services', index];
  const issues: RawIssue[] = [];
  const known = [...schemas.keys()];
  const unknownDriver = (driver: string, path: PathSegment[]): boolean => {
    if (schemas.has(driver)) return false;
    issues.push({
      path,
      message: `there is no driver "${driver}"`,
      fix: `use one of the drivers this Slipway has${didYouMean(driver, known)}: ${known.join(', ')}`,
    });
    return true;
  };
  const defaultOk = service.driver
    ? !unknownDriver(service.driver.driver, [...base, 'driver', 'driver'])
    : false;
  const entries = Object.entries(service.environments);
  if (entries.length === 0) {
    if (service.driver && defaultOk) {
      const options = validate(service.driver.driver, service.driver.options, schemas);
      for (const issue of options)
        issues.push({ ...issue, path: [...base, 'driver', 'options', ...issue.path] });
    }
    return issues;
  }
  for (const [envName, entry] of entries) {
    const binding = bindingOf(service, envName);
    if (!binding) continue;
    const entryPath = [...base, 'environments', envName];
    if (entry.driver && unknownDriver(entry.driver, [...entryPath, 'driver'])) continue;
    if (!entry.driver && !defaultOk) continue;
    const sameDriver = service.driver?.driver === binding.driver;
    for (const issue of validate(binding.driver, binding.options, schemas)) {
      const top = issue.path[0];
      const inEntry = top !== undefined && Object.hasOwn(entry.options ?? {}, top);
      // Keys the entry does not set come from the default, and a key missing everywhere is
      // fixed once there rather than once per environment.
      const where = inEntry || !sameDriver ? entryPath : [...base, 'driver'];
      issues.push({ ...issue, path: [...where, 'options', ...issue.path] });
    }
  }
  return issues;
}

function validate(
  driver: string,
  options: Record<string, unknown>,
  schemas: DriverSchemas,
): RawIssue[] {
  const schema = schemas.get(driver);
  if (!schema) return [];
  const result = schema.safeParse(options, { reportInput: true });
  if (result.success) return [];
  const fallback = `see the ${driver} driver's README for its options`;
  return result.error.issues.flatMap((issue) => describeZodIssue(issue, schema, fallback));
}

function dedupe(issues: RawIssue[]): RawIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${JSON.stringify(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
