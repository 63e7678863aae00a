/**
 * People named by their chat id, and the names to show for them outside chat. The core writes
 * people as ids ("locked by U0WEB00001", `requestedBy`); chat shows those as mentions, the CLI
 * and the API put the names Slack gave (src/chat/people.ts) in their place.
 */

/** Names by chat id; an id without a name is shown as it is. */
export type PeopleNames = ReadonlyMap<string, string>;

export const NO_NAMES: PeopleNames = new Map();

// Slack member ids as Slack issues them: U or W, then 8 to 10 capitals and digits, at least one
// digit (so "UNLOCKED" or "WARNING" is no one). In text, not after "@": a mention someone typed
// stays as they typed it.
// A Teams user is `teams:` and their Entra (AAD) object id, a GUID.
const MEMBER_ID = /^[UW](?=[A-Z0-9]*\d)[A-Z0-9]{8,10}$/;
export const MEMBER_ID_IN_TEXT =
  /(?<![@\w-])([UW](?=[A-Z0-9]*\d)[A-Z0-9]{8,10}|teams:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})(?![\w-])/g;
// The config's person keys (`alice`), which name whoever is listed under people: on any platform.
const PERSON_KEY = /^[a-z][a-z0-9._-]*$/;

/** Whether `id` has the shape of a Slack member id (not `operator`, not `slipway`). */
export function isMemberId(id: string): boolean {
  return MEMBER_ID.test(id);
}

/**
 * Whether `id` may have a name to show: a Slack member id, a Teams user or a person key. Names are
 * only looked up for these; the store knows no name for an identity such as `operator`.
 */
export function mayHaveName(id: string): boolean {
  return isMemberId(id) || /^teams:\S+$/.test(id) || PERSON_KEY.test(id);
}

/** The member ids in a text, each once, in order of appearance. */
export function memberIdsIn(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(MEMBER_ID_IN_TEXT), (m) => m[1] ?? ''))];
}

/** `text` with each member id that has a name replaced by it; other ids stay. */
export function withNames(text: string, names: PeopleNames): string {
  if (names.size === 0) return text;
  return text.replace(MEMBER_ID_IN_TEXT, (id) => names.get(id) ?? id);
}

/** Where names are kept: the store's `findPeople`. */
export interface PeopleSource {
  findPeople(ids: readonly string[]): Promise<ReadonlyMap<string, { name: string }>>;
}

/**
 * The known names of `ids`. Names only decorate what is shown: when they cannot be read, the
 * answer goes out with ids, and `onError` hears why.
 */
export async function knownNames(
  source: PeopleSource,
  ids: Iterable<string>,
  onError: (err: unknown) => void = () => {},
): Promise<PeopleNames> {
  const wanted = [...new Set(ids)].filter(mayHaveName);
  if (wanted.length === 0) return NO_NAMES;
  try {
    const found = await source.findPeople(wanted);
    return new Map([...found].map(([id, person]) => [id, person.name]));
  } catch (err) {
    onError(err);
    return NO_NAMES;
  }
}
