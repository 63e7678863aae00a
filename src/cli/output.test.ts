import { describe, expect, it } from 'vitest';
import type { PeopleSource } from '../core/people.js';
import { createCliOutput } from './output.js';

function printer(people: PeopleSource | null) {
  const out: string[] = [];
  const err: string[] = [];
  const output = createCliOutput(people, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { output, out, err };
}

function store(names: Record<string, string>) {
  const asked: string[][] = [];
  const source: PeopleSource = {
    async findPeople(ids) {
      asked.push([...ids]);
      return new Map(ids.flatMap((id) => (names[id] ? [[id, { name: names[id] }] as const] : [])));
    },
  };
  return { source, asked };
}

describe('CLI output', () => {
  it('names the people the store knows and leaves the others as ids', async () => {
    const { source } = store({ U0API0001: 'Ana Lima' });
    const { output, out, err } = printer(source);
    await output.out(() => 'Refused: U0API0001 may not deploy web to production.');
    await output.err(() => 'production is locked by U0WEB0001 since 2025-03-01T10:00:00.000Z');
    expect(out).toEqual(['Refused: Ana Lima may not deploy web to production.\n']);
    expect(err).toEqual(['production is locked by U0WEB0001 since 2025-03-01T10:00:00.000Z\n']);
  });

  it('hands the names to the render, so a table can align its columns on them', async () => {
    const { source } = store({ U0API0001: 'Ana Lima' });
    const { output, out } = printer(source);
    const seen: Array<Map<string, string>> = [];
    await output.out((names) => {
      seen.push(new Map(names));
      return 'BY\nU0API0001';
    });
    expect(seen).toEqual([new Map(), new Map([['U0API0001', 'Ana Lima']])]);
    expect(out).toEqual(['BY\nAna Lima\n']);
  });

  it('reads each id from the store once, and never for text without ids', async () => {
    const { source, asked } = store({ U0API0001: 'Ana Lima' });
    const { output, out } = printer(source);
    await output.out(() => 'queued → running (U0API0001)');
    await output.out(() => 'running → succeeded (U0API0001, U0WEB0001)');
    await output.out(() => 'd-1: succeeded');
    await output.out(() => 'U0WEB0001 again');
    expect(asked).toEqual([['U0API0001'], ['U0WEB0001']]);
    expect(out.at(1)).toBe('running → succeeded (Ana Lima, U0WEB0001)\n');
  });

  it('prints ids when the store cannot say, or there is none', async () => {
    const failing = { findPeople: () => Promise.reject(new Error('database is locked')) };
    for (const people of [failing, null]) {
      const { output, out } = printer(people);
      await output.out(() => 'locked by U0WEB0001');
      expect(out).toEqual(['locked by U0WEB0001\n']);
    }
  });
});
