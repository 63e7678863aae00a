import type { NameOf } from './markdown.js';
import type { ConversationReferences } from './references.js';

/** The parts of a view (or form) that can mention people. */
export interface MentioningText {
  title: string;
  body?: string;
  fields?: { label: string; value: string }[];
  context?: string[];
}

/**
 * Names for every person a view mentions (`<@id>`), looked up before rendering so that
 * rendering stays pure: the conversation references first (names Teams gave), then `more`
 * (the store's people, for someone known from another platform).
 */
export async function namesIn(
  view: MentioningText,
  refs: ConversationReferences,
  more?: (id: string) => Promise<string | null>,
): Promise<NameOf> {
  const text = [
    view.title,
    view.body ?? '',
    ...(view.fields ?? []).map((f) => `${f.label}\n${f.value}`),
    ...(view.context ?? []),
  ].join('\n');
  const ids = [
    ...new Set(Array.from(text.matchAll(/<@([^|>]+)(?:\|[^>]*)?>/g), (m) => m[1] ?? '')),
  ];
  const names = new Map<string, string>();
  await Promise.all(
    ids.map(async (id) => {
      const name = (await refs.member(id))?.name ?? (await more?.(id).catch(() => null)) ?? null;
      if (name) names.set(id, name);
    }),
  );
  return (id) => names.get(id) ?? null;
}
