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

/**
 * The mark of a statement whose text follows the *shape* of client input but never its values: a compiled SCIM
 * filter binds every value as a parameter, so its text depends only on the filter's structure (issue 14). Such
 * texts are many in principle and few in practice (Entra sends a handful of shapes), so they get a budget of
 * their own: a client sending endless new shapes fills only that budget, and the code's own statements stay named.
 */
export const SHAPE_MARK = '/* prepared shape */';
export const preparedShape: RawBuilder<unknown> = sql.raw(` ${SHAPE_MARK}`);

/** A guard in case a marked text ever varies: past this many, statements go unnamed rather than pile up. */
const MAX_NAMED = 200;
/** First come, first named: past this many shapes, further shapes run unnamed (parsed and planned each time). */
export const MAX_NAMED_SHAPES = 100;
const names = new Map<string, string>();
const shapeNames = new Map<string, string>();

const nameOf = (text: string): string => `p_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;

/** A stable name per distinct text (pg refuses one name for two texts), or undefined past its budget. */
export function statementName(text: string): string | undefined {
  const [known, budget] = text.endsWith(SHAPE_MARK) ? [shapeNames, MAX_NAMED_SHAPES] : [names, MAX_NAMED];
  const name = known.get(text);
  if (name !== undefined || known.size >= budget) return name;
  const fresh = nameOf(text);
  known.set(text, fresh);
  return fresh;
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
    if (typeof text !== 'string' || !Array.isArray(values) || !(text.endsWith(PREPARED_MARK) || text.endsWith(SHAPE_MARK))) return query(...args);
    const name = statementName(text);
    return name === undefined ? query(...args) : query({ name, text, values }, ...rest);
  };
  client.query = named as typeof client.query;
}
