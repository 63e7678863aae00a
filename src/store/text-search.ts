import { type SqlBool, sql } from 'kysely';

/**
 * Text a person searches the history for, as SQL. "Contains" cannot use an index (the pattern
 * starts with a wildcard), so a list that searches walks its time index newest first and tests
 * each row until the page is full: quick when matches are common or other filters narrow the
 * rows, a scan of the whole table when nothing matches. The dashboard's history accepts that
 * for a search someone typed, rather than keep a full-text index on every database.
 */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * `column` contains the text of `pattern` (from `containsPattern`), in any case: lower() on
 * both sides, because SQLite's LIKE ignores ASCII case and Postgres's does not.
 */
export function contains(column: string, pattern: string) {
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}

/** One id, or any of several, as the values of an `in`. */
export function oneOrMore(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}
