import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type pg from 'pg';

/**
 * The mark a hot statement ends with so the pg driver sends it as a named prepared statement: PostgreSQL then
 * parses and plans it once per connection instead of on every request. For the SCIM write path that is most
 * of a statement's cost (measured in bench/README.md); PGlite ignores the comment.
 *
 * Only statements whose text is fixed by the code may carry it: every distinct text becomes a statement kept
 * for the connection's life, so a text built from client input must never be marked.
 */
export const PREPARED_MARK = '/* prepared */';

/** `.modifyEnd(prepared)` on a query builder, or `${prepared}` at the end of a `sql` template. */
export const prepared: RawBuilder<unknown> = sql.raw(` ${PREPARED_MARK}`);

/** A guard in case a marked text ever varies: past this many, statements go unnamed rather than pile up. */
const MAX_NAMED = 200;
const names = new Map<string, string>();

/** A stable name per distinct text (pg refuses one name for two texts), or undefined past MAX_NAMED. */
export function statementName(text: string): string | undefined {
  const known = names.get(text);
  if (known !== undefined || names.size >= MAX_NAMED) return known;
  const name = `p_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
  names.set(text, name);
  return name;
}

type Query = (...args: unknown[]) => unknown;

/**
 * Makes `client.query(text, values, …)` send a marked text as a named statement. Kysely calls
 * `query(text, values)`; pg-pool's own `pool.query` passes a callback after them, which is kept.
 */
export function prepareMarkedStatements(client: pg.ClientBase): void {
  const query = client.query.bind(client) as Query;
  const named: Query = (...args) => {
    const [text, values, ...rest] = args;
    if (typeof text !== 'string' || !Array.isArray(values) || !text.endsWith(PREPARED_MARK)) return query(...args);
    const name = statementName(text);
    return name === undefined ? query(...args) : query({ name, text, values }, ...rest);
  };
  client.query = named as typeof client.query;
}
