import { sql, type RawBuilder } from 'kysely';

type Sql = RawBuilder<unknown>;

/**
 * Filter conditions on attributes kept only in the jsonb resource (enterprise and custom extension
 * attributes, core attributes without a column, element fields), served by `accounts.match_document`: the
 * resource with every key and string lower-cased (`lower(resource::text)::jsonb`, a generated column of
 * migration 2026-12-04-0060) under a GIN `jsonb_path_ops` index.
 *
 * `@>` containment is exact, so a caseExact=false equality (RFC 7643 §2.2's default, and every custom
 * attribute) compares lower-cased on both sides: the containment document is lower-cased in SQL by the same
 * lower() that built the column, so both sides agree whatever the collation does with non-ASCII letters.
 * Lower-cased keys also make attribute names and extension URNs case-insensitive (RFC 7644 §3.10).
 * A caseExact=true equality adds a recheck on the stored resource; containment still picks the rows.
 */
export function contains(shape: unknown): Sql {
  return sql`(match_document @> cast(lower(${JSON.stringify(shape)}) as jsonb))`;
}

/** `{ k1: { k2: value } }` for the keys of an attribute. */
export function nest(keys: string[], value: unknown): unknown {
  return keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/** `{ emails: [{ type: "work", value: "x" }] }`: contained when one element holds all of these fields. */
export const elementShape = (array: string, fields: Record<string, unknown>): unknown => ({ [array]: [fields] });

const keyArray = (keys: string[], lowered: boolean): Sql =>
  sql`array[${sql.join(keys.map((k) => (lowered ? sql`lower(${k})` : sql`${k}`)))}]::text[]`;

/** The lower-cased text at these keys (null when absent). */
export const matchText = (keys: string[]): Sql => sql`(match_document #>> ${keyArray(keys, true)})`;

/** The stored text at these keys, as sent: for caseExact=true attributes. */
export const resourceText = (keys: string[]): Sql => sql`(resource #>> ${keyArray(keys, false)})`;

/** Present (RFC 7644 §3.4.2.2 `pr`): a value other than null, "", [] or {}. */
export function presentAt(keys: string[]): Sql {
  const value = sql`(match_document #> ${keyArray(keys, true)})`;
  return sql`(${value} is not null and ${value} not in ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb))`;
}
