import {
  knownNames,
  memberIdsIn,
  NO_NAMES,
  type PeopleNames,
  type PeopleSource,
  withNames,
} from '../core/people.js';

/**
 * What a command prints, given the names to show for people. Only tables need them (to align
 * their columns on names rather than ids); sentences are given names after rendering.
 */
export type Render = (names: PeopleNames) => string;

/**
 * Where the CLI's commands print what they have to say to a person. People the core names by
 * Slack id ("locked by U0WEB0001", the BY column) are shown by name where the store knows one;
 * the rest stay ids. Names come from the store only: a server learns them from Slack, the CLI
 * never asks Slack itself. JSON output is not for people and goes out as it is.
 */
export interface CliOutput {
  out(render: Render): Promise<void>;
  err(render: Render): Promise<void>;
}

export function createCliOutput(
  people: PeopleSource | null,
  write: { out(text: string): void; err(text: string): void } = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  },
): CliOutput {
  /** Names read so far, null for ids the store knows no name of: `--wait` prints many lines. */
  const known = new Map<string, string | null>();

  async function named(render: Render): Promise<string> {
    const plain = render(NO_NAMES);
    const ids = memberIdsIn(plain);
    const unread = ids.filter((id) => !known.has(id));
    if (people && unread.length > 0) {
      const found = await knownNames(people, unread);
      for (const id of unread) known.set(id, found.get(id) ?? null);
    }
    const names = new Map<string, string>();
    for (const id of ids) {
      const name = known.get(id);
      if (name) names.set(id, name);
    }
    // Sentences get names here; tables got them cell by cell, so their columns stay aligned.
    return names.size === 0 ? plain : withNames(render(names), names);
  }

  return {
    out: async (render) => write.out(`${await named(render)}\n`),
    err: async (render) => write.err(`${await named(render)}\n`),
  };
}
