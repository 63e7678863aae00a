import type { ResolvedPerson } from '../../config/people.js';
import type { Claims } from './oidc.js';

type People = { people: Readonly<Record<string, ResolvedPerson>> };

/** Who a signed-in identity is among the config's `people:`, or why they are nobody there. */
export type Identification =
  | { ok: true; person: string; name: string | null }
  | {
      ok: false;
      /** The identity as the provider named it, to show back (an email, a username). */
      identity: string | null;
      reason: string;
      /** What an admin would add to slipway.yaml, when a line would do. */
      fix: string | null;
    };

/**
 * By a configured claim when `claim` is set (its value is a person key, or one of their emails:
 * an Entra ID `preferred_username` is an address), else by the email, verified by the provider:
 * an unverified address is one anyone could have typed into their profile.
 */
export function identify(config: People, claims: Claims, claim?: string): Identification {
  if (claim) return byClaim(config, claims, claim);
  const email = typeof claims.email === 'string' ? claims.email.trim() : '';
  if (!email) {
    return refusal(
      null,
      'The sign-in provider did not share an email address, which is how Slipway finds you among its people.',
      null,
    );
  }
  // Some providers (Amazon Cognito) send the flag as a string.
  if (claims.email_verified !== true && claims.email_verified !== 'true') {
    return refusal(
      email,
      `The sign-in provider has not verified ${email}. Slipway only trusts verified addresses: verify it with your provider, then sign in again.`,
      null,
    );
  }
  return byEmail(config, email);
}

function byClaim(config: People, claims: Claims, claim: string): Identification {
  const value = claims[claim];
  if (typeof value !== 'string' || value.trim() === '') {
    return refusal(
      null,
      `The sign-in provider sent no ${claim}, which is how this Slipway finds you among its people (SLIPWAY_OIDC_CLAIM).`,
      null,
    );
  }
  const given = value.trim();
  if (given.includes('@')) return byEmail(config, given);
  const key = given.toLowerCase();
  const person = config.people[key];
  if (person) return { ok: true, person: key, name: person.name ?? null };
  return refusal(
    given,
    `No one under people: in slipway.yaml has the key ${key}.`,
    `people:\n  ${key}:\n    name: …`,
  );
}

function byEmail(config: People, email: string): Identification {
  const wanted = email.toLowerCase();
  const keys = Object.entries(config.people)
    .filter(([, person]) => person.email?.toLowerCase() === wanted)
    .map(([key]) => key);
  const [key] = keys;
  if (keys.length > 1) {
    return refusal(
      email,
      `${keys.join(' and ')} under people: in slipway.yaml share the email ${email}, so Slipway cannot tell which one you are.`,
      null,
    );
  }
  const person = key === undefined ? undefined : config.people[key];
  if (key !== undefined && person) return { ok: true, person: key, name: person.name ?? null };
  return refusal(
    email,
    `No one under people: in slipway.yaml has the email ${email}.`,
    `people:\n  <their key>:\n    email: ${email}`,
  );
}

function refusal(identity: string | null, reason: string, fix: string | null): Identification {
  return { ok: false, identity, reason, fix };
}
