import type { Config } from './schema.js';

/**
 * Every chat user id the config names: group members, admins, owners, QA, deployers, approvers
 * and who may override a freeze. Group references, service roles, `*` and the CLI `operator`
 * are no chat users; the local Slack's test ids (`U-DEV1`) are.
 */
export function configuredPeople(config: Config): string[] {
  const ids = new Set<string>();
  const add = (list: readonly string[]) => {
    for (const id of list) if (/^[UW][A-Z0-9-]+$/.test(id)) ids.add(id);
  };
  for (const members of Object.values(config.groups)) add(members);
  add(config.admins);
  for (const s of config.services) {
    add(s.owners);
    add(s.qa);
  }
  for (const e of config.environments) {
    add(e.deployers);
    add(e.approvals.from);
    add(e.freezeOverride);
  }
  return [...ids].sort();
}
