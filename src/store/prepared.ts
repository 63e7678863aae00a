import { type Compilable, CompiledQuery, type Insertable, type Kysely } from 'kysely';
import type { Tables } from './tables.js';

/** Stands for argument `index` while the query is compiled; Kysely passes it through as a value. */
class Slot {
  constructor(readonly index: number) {}
}

interface Compiled {
  sql: string;
  /** For each parameter of the SQL: the argument it takes, or -1 for a constant of the query. */
  from: number[];
  constants: readonly unknown[];
}

/**
 * A query whose shape never changes, built and compiled once per database instead of on every
 * call: Kysely's builder and compiler cost 8–30 µs a query, which the store lookups every chat
 * command makes (idempotency key, locks) paid each time, more than SQLite's own work. `build`
 * must pass its arguments straight into the query as values (no arithmetic on them, no
 * branching on them), since it is called once with placeholders.
 *
 * Kept per dialect adapter, which a database's transactions share with it: a query run inside
 * the transactions of a group commit is compiled once, not once per transaction. `build` may
 * depend on how many arguments it is given (a batch's rows, `rowsOf`), compiled once for each
 * count.
 */
export function preparedQuery<Args extends unknown[], Row>(
  build: (db: Kysely<Tables>, ...args: Args) => Compilable<Row>,
): (db: Kysely<Tables>, ...args: Args) => Promise<Row[]> {
  const cache = new WeakMap<object, Map<number, Compiled>>();
  return async (db, ...args) => {
    const adapter = db.getExecutor().adapter;
    let byCount = cache.get(adapter);
    if (!byCount) {
      byCount = new Map();
      cache.set(adapter, byCount);
    }
    let compiled = byCount.get(args.length);
    if (!compiled) {
      const slots = args.map((_, i) => new Slot(i)) as Args;
      const query = build(db, ...slots).compile();
      compiled = {
        sql: query.sql,
        from: query.parameters.map((p) => (p instanceof Slot ? p.index : -1)),
        constants: query.parameters,
      };
      if (new Set(compiled.from.filter((i) => i >= 0)).size !== args.length)
        throw new Error(`preparedQuery: not every argument reached the SQL of ${query.sql}`);
      byCount.set(args.length, compiled);
    }
    const { from, constants, sql } = compiled;
    const parameters = from.map((i, n) => (i >= 0 ? args[i] : constants[n]));
    return (await db.executeQuery<Row>(CompiledQuery.raw(sql, parameters))).rows;
  };
}

/**
 * An insert of one row, compiled once per shape (the columns the row sets) as preparedQuery
 * does: Kysely's insert builder parses every value of every row it is given, which for the
 * thirty columns of a deployment cost more than SQLite's insert. Columns whose value is
 * `undefined` are left out, as Kysely does.
 */
export function preparedInsert<T extends keyof Tables & string>(
  table: T,
): (db: Kysely<Tables>, row: Insertable<Tables[T]>) => Promise<void> {
  const byShape = new Map<string, (db: Kysely<Tables>, ...values: unknown[]) => Promise<unknown>>();
  return async (db, row) => {
    const record = row as Record<string, unknown>;
    const columns = Object.keys(record).filter((c) => record[c] !== undefined);
    const shape = columns.join(',');
    let insert = byShape.get(shape);
    if (!insert) {
      insert = preparedQuery((k, ...values: unknown[]) =>
        k
          .insertInto(table)
          .values(Object.fromEntries(columns.map((c, i) => [c, values[i]])) as never),
      );
      byShape.set(shape, insert);
    }
    await insert(db, ...columns.map((c) => record[c]));
  };
}

/**
 * Rows of `columns` from their values laid end to end, as a prepared batch insert takes them
 * (preparedQuery compiles it once for each number of rows).
 */
export function rowsOf<C extends string>(
  columns: readonly C[],
  values: readonly unknown[],
): Array<Record<C, unknown>> {
  const rows: Array<Record<C, unknown>> = [];
  for (let at = 0; at < values.length; at += columns.length) {
    rows.push(Object.fromEntries(columns.map((c, i) => [c, values[at + i]])) as Record<C, unknown>);
  }
  return rows;
}
