import { formatIssues, parseConfig } from '../load.js';
import type { Config } from '../schema.js';

/** A slipway.yaml the test spells out, validated as at start; its issues fail the test, by line. */
export function configFrom(yaml: string): Config {
  const result = parseConfig(yaml);
  if (!result.ok) throw new Error(formatIssues(result.errors));
  return result.config;
}

/**
 * Entra ID object ids for the people that the identity tests list under `people:` (config,
 * chat identity and router, policy): one cast, so a test of one layer reads like the others.
 */
export const ALICE_TEAMS = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
export const BOB_TEAMS = '9b2c1d4e-0000-4a1b-8c2d-111122223333';
export const CAROL_TEAMS = '11111111-2222-4333-8444-555555555555';
/** A Teams user whom no config lists, as the core names them. */
export const STRANGER = 'teams:aaaaaaaa-0000-4000-8000-000000000000';
