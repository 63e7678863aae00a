import { driverBinding } from '../../config/index.js';
import type { AutoDeployRule, Config } from '../../config/schema.js';
import type { BuildRef } from '../../core/deployment.js';

/**
 * `autoDeploy` decides where a build goes (seeds/001: "deploys the new docker image to a
 * specific internal URL based on the branch/tag"). Patterns are globs on the branch or tag
 * name: `*` matches within a path segment (`release-*`), `**` across segments (`feature/**`);
 * every other character stands for itself.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c !== '*') {
      source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      continue;
    }
    if (pattern[i + 1] !== '*') {
      source += '[^/]*';
      continue;
    }
    i++;
    while (pattern[i + 1] === '*') i++;
    if (pattern[i + 1] === '/') {
      // `**/` also matches no segment at all: `**/hotfix` matches "hotfix".
      source += '(?:.*/)?';
      i++;
    } else {
      source += '.*';
    }
  }
  return new RegExp(`^${source}$`);
}

export function matchesGlob(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}

/** Whether `rule` sends a build of `service` from `ref`. */
export function ruleMatches(rule: AutoDeployRule, service: string, ref: BuildRef): boolean {
  if (rule.service !== undefined && rule.service !== service) return false;
  return rule.type === ref.type && matchesGlob(rule.pattern, ref.name);
}

/**
 * The environments a build of `service` from `ref` deploys to, in the order of the rules, each
 * once. A rule for every service (no `service`) skips services that do not deploy to its
 * environment; a rule naming the service is checked by the config loader instead.
 */
export function autoDeployEnvironments(config: Config, service: string, ref: BuildRef): string[] {
  const environments: string[] = [];
  for (const rule of config.autoDeploy) {
    if (!ruleMatches(rule, service, ref) || environments.includes(rule.environment)) continue;
    if (rule.service === undefined && driverBinding(config, service, rule.environment) === null) {
      continue;
    }
    environments.push(rule.environment);
  }
  return environments;
}
