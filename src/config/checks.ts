import type { RawIssue } from './issues.js';
import { bindingOf } from './lookup.js';
import { type PrincipalList, peopleIssues } from './people-checks.js';
import { Name } from './schema.js';
import { closest, didYouMean } from './suggest.js';

/** The parts of a service the checks need, taken from whatever in it is well-formed. */
export interface LooseService {
  name: string;
  driver?: { driver: string; options: Record<string, unknown> };
  environments: Record<
    string,
    { driver?: string; options?: Record<string, unknown>; canary?: boolean }
  >;
}

/**
 * What the cross-reference checks look at, read from the raw document rather than the parsed
 * config: a service whose `owners` is malformed still has its environments checked, so every
 * error is reported in one pass. A name set is null when the list itself is unusable, which
 * turns reference checks off rather than reporting every reference as dangling.
 */
export interface CheckInput {
  raw: Record<string, unknown>;
  services: (LooseService | null)[];
  envNames: Set<string> | null;
  serviceNames: Set<string> | null;
  groupNames: Set<string> | null;
}

export function checkInput(raw: unknown): CheckInput {
  const root = isRecord(raw) ? raw : {};
  const rawEnvs = root.environments;
  const rawServices = root.services;
  const rawGroups = root.groups;
  return {
    raw: root,
    services: list(rawServices).map(looseService),
    envNames: Array.isArray(rawEnvs) ? namesOf(rawEnvs) : null,
    serviceNames: Array.isArray(rawServices) ? namesOf(rawServices) : null,
    groupNames:
      rawGroups === undefined
        ? new Set()
        : isRecord(rawGroups)
          ? new Set(Object.keys(rawGroups))
          : null,
  };
}

function looseService(raw: unknown): LooseService | null {
  if (!isRecord(raw) || typeof raw.name !== 'string') return null;
  const service: LooseService = { name: raw.name, environments: {} };
  const driver = looseBinding(raw.driver);
  if (driver?.driver !== undefined)
    service.driver = { driver: driver.driver, options: driver.options ?? {} };
  if (isRecord(raw.environments)) {
    for (const [name, entry] of Object.entries(raw.environments)) {
      const binding = looseBinding(entry) ?? {};
      const strategy = isRecord(entry) ? entry.strategy : undefined;
      service.environments[name] =
        isRecord(strategy) && 'canary' in strategy ? { ...binding, canary: true } : binding;
    }
  }
  return service;
}

function looseBinding(raw: unknown): { driver?: string; options?: Record<string, unknown> } | null {
  if (!isRecord(raw)) return null;
  const binding: { driver?: string; options?: Record<string, unknown> } = {};
  if (typeof raw.driver === 'string' && raw.driver !== '') binding.driver = raw.driver;
  if (isRecord(raw.options)) binding.options = raw.options;
  return binding;
}

export function crossReferenceIssues(input: CheckInput): RawIssue[] {
  return [
    ...duplicates(input.raw.environments, 'environments', 'environment'),
    ...duplicateOrders(input),
    ...approvalIssues(input),
    ...duplicates(input.raw.services, 'services', 'service'),
    ...serviceEnvironmentIssues(input),
    ...serviceChannelIssues(input),
    ...groupReferenceIssues(input),
    ...peopleIssues(input, principalLists(input)),
    ...autoDeployIssues(input),
    ...doraDigestIssues(input),
    ...githubEnvironmentIssues(input),
  ];
}

function duplicates(items: unknown, key: string, what: string): RawIssue[] {
  const seen = new Map<string, number>();
  const issues: RawIssue[] = [];
  list(items).forEach((item, index) => {
    const name = isRecord(item) ? item.name : undefined;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) {
      seen.set(name, index);
      return;
    }
    issues.push({
      path: [key, index, 'name'],
      message: `${what} "${name}" is defined twice (first as ${key}[${first}])`,
      fix: `rename one of them or merge them into one entry`,
    });
  });
  return issues;
}

function duplicateOrders(input: CheckInput): RawIssue[] {
  const seen = new Map<number, string>();
  const issues: RawIssue[] = [];
  list(input.raw.environments).forEach((env, index) => {
    if (!isRecord(env) || typeof env.order !== 'number') return;
    const name = typeof env.name === 'string' ? env.name : `environments[${index}]`;
    const holder = seen.get(env.order);
    if (holder === undefined) {
      seen.set(env.order, name);
      return;
    }
    issues.push({
      path: ['environments', index, 'order'],
      message: `order ${env.order} is used by both "${holder}" and "${name}"`,
      fix: 'give each environment its own order: deploys are promoted from the lowest to the highest',
    });
  });
  return issues;
}

/** Approvals nobody may give would leave every deploy waiting forever. */
function approvalIssues(input: CheckInput): RawIssue[] {
  const issues: RawIssue[] = [];
  list(input.raw.environments).forEach((env, index) => {
    if (!isRecord(env) || !isRecord(env.approvals)) return;
    const { required, from } = env.approvals;
    if (typeof required !== 'number' || required <= 0) return;
    if (Array.isArray(from) && from.length > 0) return;
    const name = typeof env.name === 'string' ? env.name : `environments[${index}]`;
    issues.push({
      path: ['environments', index, 'approvals', 'from'],
      message: `${name} requires ${required} approval${required === 1 ? '' : 's'} but nobody may give them`,
      fix: 'list who may approve under approvals.from, e.g. ["@qa", "service:owners"], or set required: 0',
    });
  });
  return issues;
}

function serviceEnvironmentIssues(input: CheckInput): RawIssue[] {
  const issues: RawIssue[] = [];
  input.services.forEach((service, index) => {
    if (!service) return;
    const entries = Object.entries(service.environments);
    if (entries.length === 0 && !service.driver) {
      issues.push({
        path: ['services', index],
        message: `service "${service.name}" has no driver, so it cannot be deployed anywhere`,
        fix: 'add "driver: { driver: command, options: { deploy: [...] } }" to the service, or list its environments with a driver each',
      });
    }
    for (const [envName, entry] of entries) {
      const path = ['services', index, 'environments', envName];
      if (input.envNames && !input.envNames.has(envName)) {
        const near = closest(envName, input.envNames);
        issues.push({
          path,
          key: true,
          message: `service "${service.name}" lists environment "${envName}", which is not defined`,
          fix: near
            ? `rename this key to "${near}", or add an environment named "${envName}" under environments`
            : `add an environment named "${envName}" under environments, or remove this key`,
        });
      } else if (!entry.driver && !service.driver) {
        issues.push({
          path,
          message: `service "${service.name}" has no driver for ${envName}`,
          fix: `add "driver: <id>" here, or a default driver for the service under services[${index}].driver`,
        });
      }
    }
  });
  return issues;
}

/** One channel, or one per platform: both would leave unclear where messages go. */
function serviceChannelIssues(input: CheckInput): RawIssue[] {
  const issues: RawIssue[] = [];
  list(input.raw.services).forEach((service, index) => {
    if (!isRecord(service) || service.channel === undefined || service.channels === undefined)
      return;
    issues.push({
      path: ['services', index, 'channels'],
      key: true,
      message: `service "${String(service.name)}" has both channel and channels`,
      fix: 'keep one: channel for a single channel, channels: {slack: …, teams: …} for one on each platform',
    });
  });
  return issues;
}

/** Every place principals are written: list location → items. */
function principalLists(input: CheckInput): PrincipalList[] {
  const out: PrincipalList[] = [];
  const add = (path: (string | number)[], value: unknown) => {
    if (Array.isArray(value)) out.push({ path, items: value });
  };
  add(['admins'], input.raw.admins);
  if (isRecord(input.raw.groups)) {
    for (const [name, members] of Object.entries(input.raw.groups)) add(['groups', name], members);
  }
  list(input.raw.environments).forEach((env, i) => {
    if (!isRecord(env)) return;
    add(['environments', i, 'deployers'], env.deployers);
    add(['environments', i, 'freezeOverride'], env.freezeOverride);
    if (isRecord(env.approvals)) add(['environments', i, 'approvals', 'from'], env.approvals.from);
  });
  list(input.raw.services).forEach((service, i) => {
    if (!isRecord(service)) return;
    add(['services', i, 'owners'], service.owners);
    add(['services', i, 'qa'], service.qa);
  });
  return out;
}

function groupReferenceIssues(input: CheckInput): RawIssue[] {
  const groups = input.groupNames;
  const issues: RawIssue[] = [];
  for (const { path, items } of principalLists(input)) {
    const listName = path[path.length - 1];
    items.forEach((item, index) => {
      if (typeof item !== 'string') return;
      const at = [...path, index];
      // `owners: [service:owners]` would define owners by themselves.
      if (path[0] === 'services' && item === `service:${String(listName)}`) {
        issues.push({
          path: at,
          message: `"${item}" inside ${String(listName)} refers to this very list`,
          fix: `list the ${String(listName)} by user id or @group`,
        });
      }
      const group = item.startsWith('@') ? item.slice(1) : null;
      if (group === null || !groups || !Name.safeParse(group).success || groups.has(group)) return;
      const known = [...groups];
      issues.push({
        path: at,
        message: `group "@${group}" is not defined`,
        fix:
          `add "${group}: [<user ids>]" under groups` +
          (known.length > 0
            ? `, or use a defined group${didYouMean(group, known)}: ${known.map((g) => `@${g}`).join(', ')}`
            : ''),
      });
    });
  }
  return issues;
}

function autoDeployIssues(input: CheckInput): RawIssue[] {
  const issues: RawIssue[] = [];
  list(input.raw.autoDeploy).forEach((rule, index) => {
    if (!isRecord(rule)) return;
    const { envNames, serviceNames } = input;
    const environment = typeof rule.environment === 'string' ? rule.environment : null;
    const envKnown = environment !== null && (!envNames || envNames.has(environment));
    if (environment !== null && !envKnown && envNames) {
      issues.push({
        path: ['autoDeploy', index, 'environment'],
        message: `autoDeploy sends builds to "${environment}", which is not defined`,
        fix: `use a defined environment${didYouMean(environment, envNames)}: ${[...envNames].join(', ')}`,
      });
    }
    if (typeof rule.service !== 'string') return;
    if (serviceNames && !serviceNames.has(rule.service)) {
      issues.push({
        path: ['autoDeploy', index, 'service'],
        message: `autoDeploy names service "${rule.service}", which is not defined`,
        fix: `use a defined service${didYouMean(rule.service, serviceNames)}: ${[...serviceNames].join(', ')}, or omit "service" to match every service`,
      });
      return;
    }
    const service = input.services.find((s) => s?.name === rule.service);
    if (environment !== null && envKnown && service && bindingOf(service, environment) === null) {
      issues.push({
        path: ['autoDeploy', index, 'environment'],
        message: `service "${service.name}" does not deploy to ${environment}, so this rule could never run`,
        fix: `add ${environment} under the service's environments, or change this rule's environment`,
      });
    }
  });
  return issues;
}

/** The digest's environment must be one a service deploys to, else it reports on nothing. */
function doraDigestIssues(input: CheckInput): RawIssue[] {
  const dora = input.raw.dora;
  const digest = isRecord(dora) ? dora.digest : undefined;
  const environment = isRecord(digest) ? digest.environment : undefined;
  const { envNames } = input;
  if (typeof environment !== 'string' || !envNames || envNames.has(environment)) return [];
  return [
    {
      path: ['dora', 'digest', 'environment'],
      message: `the DORA digest reports on "${environment}", which is not defined`,
      fix: `use a defined environment${didYouMean(environment, envNames)}: ${[...envNames].join(', ')}, or omit it to report on each service's production`,
    },
  ];
}

/** A name under services[].github.environments that is no environment would configure nothing. */
function githubEnvironmentIssues(input: CheckInput): RawIssue[] {
  const { envNames } = input;
  if (!envNames) return [];
  const issues: RawIssue[] = [];
  list(input.raw.services).forEach((service, index) => {
    const github = isRecord(service) ? service.github : undefined;
    const environments = isRecord(github) ? github.environments : undefined;
    if (!isRecord(environments)) return;
    for (const name of Object.keys(environments)) {
      if (envNames.has(name)) continue;
      issues.push({
        path: ['services', index, 'github', 'environments', name],
        key: true,
        message: `github.environments names "${name}", which is not defined`,
        fix: `use a defined environment${didYouMean(name, envNames)}: ${[...envNames].join(', ')}`,
      });
    }
  });
  return issues;
}

function namesOf(items: unknown[]): Set<string> {
  const names = items.map((item) => (isRecord(item) ? item.name : undefined));
  return new Set(names.filter((name): name is string => typeof name === 'string'));
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
