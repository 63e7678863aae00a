import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * Distinct statements a process prepares at most; any beyond run unnamed, as before. Each one
 * prepared holds its plan on every connection of the pool, so the number is kept well above
 * the store's own (about a hundred) without letting a stream of generated SQL grow it forever.
 */
const MAX_PREPARED = 200;

/**
 * A pg client that prepares each parameterised statement once per connection (a named
 * statement) instead of having Postgres parse and plan it on every call. The store's
 * statements are few and run over and over: three replicas taking 100 commands a second kept
 * Postgres at 54-58% of a core, and 37% with the statements prepared, on the same machine.
 *
 * A statement prepared before a migration changed its table's columns is refused by Postgres
 * ("cached plan must not change result type", when a newer replica migrates while this one
 * runs): the names are then renewed, so every statement is prepared afresh, and a call outside
 * a transaction is tried once more. Inside a transaction the error stands, as any error does.
 */
export function preparingClient(): typeof pg.Client {
  const names = new Map<string, string>();
  let generation = 0;

  function nameOf(text: string): string | undefined {
    const known = names.get(text);
    if (known || names.size >= MAX_PREPARED) return known;
    const name = `slipway_${generation}_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
    return name;
  }

  return class PreparingClient extends pg.Client {
    // pg's overloads cannot be restated one by one; only (text, values) promises are changed.
    // biome-ignore lint/suspicious/noExplicitAny: pg's query overloads
    override query(config: any, values?: any, callback?: any): any {
      const name =
        typeof config === 'string' && Array.isArray(values) && values.length > 0 && !callback
          ? nameOf(config)
          : undefined;
      if (!name) return super.query(config, values, callback);
      const run = (named: string) => super.query({ text: config, values, name: named });
      return run(name).catch((err: unknown) => {
        if (!planOutdated(err)) throw err;
        names.clear();
        generation++;
        // 'I': no transaction is open (in one, the error has aborted it, and it must stand).
        if (this.getTransactionStatus() !== 'I') throw err;
        const renewed = nameOf(config);
        return renewed ? run(renewed) : super.query(config, values);
      });
    }
  };
}

function planOutdated(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === '0A000' &&
    typeof message === 'string' &&
    message.includes('cached plan must not change result type')
  );
}
