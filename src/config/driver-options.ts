import type { z } from 'zod';
import type { CheckInput, LooseService } from './checks.js';
import { describeZodIssue, type RawIssue } from './issues.js';
import type { PathSegment } from './locate.js';
import { bindingOf } from './lookup.js';
import { didYouMean } from './suggest.js';

/** Driver id → schema of its options; the registry in src/drivers provides the real one. */
export type DriverSchemas = ReadonlyMap<string, z.ZodType>;

/**
 * Whether a driver can split traffic for a canary with these (valid) options: `splits`; only
 * with settings its options lack (`needs-options`); never (`cannot`). The registry in
 * src/drivers answers from the drivers themselves.
 */
export type CanarySupport = (
  driver: string,
  options: unknown,
) => 'splits' | 'needs-options' | 'cannot';

/**
 * Checks that every driver named exists and that the options each (service, environment)
 * would run with are valid, at start rather than at the first deploy. Options merged from the
 * service default and an environment entry are reported where the offending key is written.
 */
export function driverIssues(
  input: CheckInput,
  schemas: DriverSchemas,
  canary?: CanarySupport,
): RawIssue[] {
  const issues: RawIssue[] = [];
  input.services.forEach((service, index) => {
    if (service) issues.push(...serviceDriverIssues(service, index, schemas, canary));
  });
  return dedupe(issues);
}

function serviceDriverIssues(
  service: LooseService,
  index: number,
  schemas: DriverSchemas,
  canary: CanarySupport | undefined,
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
    const optionIssues = validate(binding.driver, binding.options, schemas);
    for (const issue of optionIssues) {
      const top = issue.path[0];
      const inEntry = top !== undefined && Object.hasOwn(entry.options ?? {}, top);
      // Keys the entry does not set come from the default, and a key missing everywhere is
      // fixed once there rather than once per environment.
      const where = inEntry || !sameDriver ? entryPath : [...base, 'driver'];
      issues.push({ ...issue, path: [...where, 'options', ...issue.path] });
    }
    // Options already refused say nothing reliable about what the driver could do with them.
    if (entry.canary && canary && optionIssues.length === 0) {
      const options = schemas.get(binding.driver)?.safeParse(binding.options).data;
      const refused = canaryIssue(service.name, envName, binding.driver, canary, options);
      if (refused) issues.push({ ...refused, path: [...entryPath, 'strategy'] });
    }
  }
  return issues;
}

/** A canary needs a driver that can run the new version beside the live one and split traffic. */
function canaryIssue(
  service: string,
  environment: string,
  driver: string,
  canary: CanarySupport,
  options: unknown,
): Omit<RawIssue, 'path'> | null {
  const support = canary(driver, options);
  if (support === 'splits') return null;
  const rolling =
    'use strategy: rolling (add verify: { analysis } to judge the release by its metrics after the rollout)';
  if (support === 'needs-options') {
    return {
      message: `${service} runs a canary in ${environment}, but its ${driver} driver options do not say how to split traffic`,
      fix: `add the driver's canary settings to its options (kubernetes: canary: { router: gateway-api | ingress-nginx | replicas }), or ${rolling}`,
    };
  }
  return {
    message: `${service} runs a canary in ${environment}, but the ${driver} driver cannot split traffic between two versions`,
    fix: `${rolling}, or deploy ${service} there with a driver that can split traffic (kubernetes with canary: { router: … })`,
  };
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
