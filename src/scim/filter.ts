import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { parse, type Filter } from 'scim2-parse-filter';
import { invalidFilter } from './errors.js';
import { contains, elementShape, matchText, nest, presentAt, resourceText } from './match-document.js';
import { documentKeys, resolvePath, type AttributeDef, type ResolvedPath, type Storage } from './user-schema.js';

/** Bounds on client filters: the parser recurses, so deep nesting would overflow its stack. */
export const MAX_FILTER_LENGTH = 2048;
const MAX_FILTER_DEPTH = 32;

type Sql = RawBuilder<unknown>;
export type CompiledFilter = RawBuilder<SqlBool>;

const COMPARISON = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

/**
 * Parses a SCIM filter (RFC 7644 §3.4.2.2) into the parser's tree, after two rewrites for what clients send:
 * an unquoted value (`externalId eq 6a1f-…`, seen from Entra) is quoted, and `emails[type eq "work"].value eq
 * "x"` becomes `emails[type eq "work" and value eq "x"]` so both conditions hold on the same element.
 */
export function parseFilter(text: string, maxLength = MAX_FILTER_LENGTH): Filter {
  if (text.length > maxLength) throw invalidFilter(`The filter is longer than ${maxLength} characters.`);
  let parenDepth = 0;
  for (const ch of text) {
    if (ch === '(' || ch === '[') parenDepth += 1;
    if (parenDepth > MAX_FILTER_DEPTH) throw invalidFilter(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels.`);
  }
  try {
    return parse(rewriteValuePathSubAttribute(quoteBareValues(text)));
  } catch (err) {
    const message = err instanceof RangeError ? 'it nests too deeply' : err instanceof Error ? err.message : 'syntax error';
    throw invalidFilter(`The filter could not be parsed: ${message}.`);
  }
}

/**
 * A quoted string or a run outside quotes. The closing quote is optional: with it required, every opening quote
 * of an unclosed `"\"\"\"…` was scanned to the end of the text, quadratic in its length; an unclosed string
 * is kept as it is and refused by the parser.
 */
export const QUOTED_OR_PLAIN = /("(?:[^"\\]|\\.)*"?)|([^"]+)/g;

/** Applies `fn` to the parts of `text` outside double-quoted strings. */
function outsideQuotes(text: string, fn: (part: string) => string): string {
  return text.replace(QUOTED_OR_PLAIN, (_m, quoted: string | undefined, plain: string | undefined) =>
    quoted ?? fn(plain ?? ''),
  );
}

/** An operator and the unquoted value after it; the value cannot contain the space the operator needs. */
export const BARE_VALUE = /\b(eq|ne|co|sw|ew|gt|ge|lt|le)(\s+)([^\s()[\]"]+)/gi;
/** A JSON literal that stays unquoted (anchored, one pass). */
export const JSON_LITERAL = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/;

export function quoteBareValues(text: string): string {
  return outsideQuotes(text, (part) =>
    part.replace(BARE_VALUE, (m, op: string, space: string, value: string) => (JSON_LITERAL.test(value) ? m : `${op}${space}${JSON.stringify(value)}`)),
  );
}

/**
 * `attr[inner].sub op value`. The lookbehind lets a match start only where a name starts: unanchored, the name
 * pattern was retried inside every long name, quadratic in its length.
 */
export const VALUE_PATH_SUB = /(?<![\w:.$-])([A-Za-z][\w:.$-]*)\[([^[\]]*)\]\.([A-Za-z$][\w]*)\s+(?:(pr)\b|(eq|ne|co|sw|ew|gt|ge|lt|le)\s+("(?:[^"\\]|\\.)*"|[^\s()]+))/gi;

export function rewriteValuePathSubAttribute(text: string): string {
  return text.replace(VALUE_PATH_SUB, (_m, attr: string, inner: string, sub: string, pr: string | undefined, op: string | undefined, value: string | undefined) =>
    pr ? `${attr}[(${inner}) and ${sub} pr]` : `${attr}[(${inner}) and ${sub} ${op ?? 'eq'} ${value ?? ''}]`,
  );
}

/** A filterable attribute: its definition and where it is stored. */
interface Target {
  def: AttributeDef;
  storage: Storage;
  path: string;
  /** A custom extension attribute: its type is whatever JSON the resource holds. */
  custom: boolean;
}

const FILTERABLE = new Set(['string', 'boolean', 'reference']);

/**
 * Any string, boolean or reference attribute of the core schema, the enterprise extension or a custom
 * extension filters (Entra's matching attribute may be any of them): a column where the account has one,
 * else an element field or the value at its keys in the stored resource.
 */
function targetFor(path: string, element: string | undefined, schema: FilterSchema): Target {
  const resolved: ResolvedPath | undefined = element ? schema.resolve(`${element}.${path}`) : schema.resolve(path);
  if (!resolved) throw invalidFilter(`The filter names an unknown attribute "${path}".`);
  let sub = resolved.sub;
  // A complex attribute without a sub-attribute filters on its `value` (RFC 7644 §3.4.2.2; Entra's `manager eq`).
  if (!sub && resolved.attribute.type === 'complex' && !resolved.custom) {
    sub = resolved.attribute.subAttributes?.find((s) => s.name === 'value');
    if (!sub) throw invalidFilter(`"${resolved.canonical}" is complex; filter on one of its sub-attributes.`);
  }
  const leaf = sub ?? resolved.attribute;
  const target = (storage: Storage): Target => ({ def: leaf, storage, path: resolved.canonical, custom: resolved.custom });
  if (leaf.storage) return target(leaf.storage);
  // meta.* lives in columns or nowhere; a password is never stored.
  if (resolved.attribute.name === 'meta' || leaf.mutability === 'writeOnly' || !FILTERABLE.has(leaf.type)) {
    throw invalidFilter(`Filtering on "${resolved.canonical}" is not supported.`);
  }
  if (resolved.attribute.multiValued && sub) return target({ kind: 'elements', array: resolved.attribute.name, field: sub.name });
  return target({ kind: 'document', path: documentKeys({ ...resolved, sub }) });
}

/**
 * What a filter may name, per resource type: how paths resolve, and (for a multi-valued attribute kept in rows
 * of its own, a group's members) how a condition on it compiles. Users keep every attribute in `accounts`.
 */
export interface FilterSchema {
  resolve(path: string): ResolvedPath | undefined;
  /** The condition for a filter on a relationally stored attribute, or undefined when `attribute` is not one. */
  related?(attribute: AttributeDef, filter: Filter): Sql | undefined;
}

export const USER_FILTER_SCHEMA: FilterSchema = { resolve: resolvePath };

/** Compiles a parsed filter into one SQL condition on the resource's table; every value is a bound parameter. */
export function compileFilter(filter: Filter, schema: FilterSchema = USER_FILTER_SCHEMA): CompiledFilter {
  return compile(filter, undefined, 0, schema) as CompiledFilter;
}

/** The relational condition for `f` when it names such an attribute (only at the top level, never inside `[…]`). */
function relatedCondition(f: Filter, schema: FilterSchema): Sql | undefined {
  if (!schema.related || !('attrPath' in f)) return undefined;
  const resolved = schema.resolve(f.attrPath);
  return resolved ? schema.related(resolved.attribute, f) : undefined;
}

function compile(f: Filter, element: string | undefined, depth: number, schema: FilterSchema): Sql {
  if (depth > MAX_FILTER_DEPTH) throw invalidFilter(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels.`);
  switch (f.op) {
    case 'and':
    case 'or': {
      if (!('filters' in f)) throw invalidFilter('Malformed logical expression.');
      const parts = f.filters.map((x) => compile(x, element, depth + 1, schema));
      return sql`(${sql.join(parts, f.op === 'and' ? sql` and ` : sql` or `)})`;
    }
    case 'not':
      if (!('filter' in f)) throw invalidFilter('Malformed not expression.');
      return sql`(not coalesce(${compile(f.filter, element, depth + 1, schema)}, false))`;
    case '[]': {
      if (element || !('valFilter' in f)) throw invalidFilter('Value filters cannot be nested.');
      const related = relatedCondition(f, schema);
      if (related) return related;
      const resolved = schema.resolve(f.attrPath);
      if (!resolved || resolved.sub || !resolved.attribute.multiValued) {
        throw invalidFilter(`"${f.attrPath}" is not a multi-valued attribute that can take a value filter.`);
      }
      const array = resolved.attribute.name;
      const exact = sql`exists (select 1 from ${elements(array)} as e(v) where ${compile(f.valFilter, array, depth + 1, schema)})`;
      const fields = elementEqualities(f.valFilter, array);
      return Object.keys(fields).length ? sql`(${contains(elementShape(array, fields))} and ${exact})` : exact;
    }
    case 'pr':
      if (!('attrPath' in f)) throw invalidFilter('Malformed presence test.');
      return (element ? undefined : relatedCondition(f, schema)) ?? present(targetFor(f.attrPath, element, schema), element);
    default:
      if (!COMPARISON.has(f.op) || !('compValue' in f)) throw invalidFilter(`Unknown operator "${f.op}".`);
      return (element ? undefined : relatedCondition(f, schema)) ?? comparison(targetFor(f.attrPath, element, schema), f.op, f.compValue, element);
  }
}

const elements = (array: string): Sql =>
  sql`jsonb_array_elements(case when jsonb_typeof(resource->${sql.lit(array)}) = 'array' then resource->${sql.lit(array)} else '[]'::jsonb end)`;

/** SQL for the stored value: a column, or an element's field when inside (or reaching into) a multi-valued attribute. */
function valueExpr(t: Target, asText: boolean): Sql {
  if (t.storage.kind === 'column') {
    return t.storage.column === 'id' && asText ? sql`cast(${sql.ref(t.storage.column)} as text)` : sql.ref(t.storage.column);
  }
  if (t.storage.kind === 'document') return t.def.caseExact && !t.custom ? resourceText(t.storage.path) : matchText(t.storage.path);
  return sql`(v->>${sql.lit(t.storage.field)})`;
}

/**
 * Wraps an element-field condition in EXISTS over the array when the filter is on the row (`emails.value eq`);
 * an equality also gets the containment that lets the match_document index pick the rows.
 */
function onElements(t: Target, element: string | undefined, condition: Sql, equalTo?: string): Sql {
  if (t.storage.kind !== 'elements' || element) return condition;
  const exact = sql`exists (select 1 from ${elements(t.storage.array)} as e(v) where ${condition})`;
  if (equalTo === undefined) return exact;
  return sql`(${contains(elementShape(t.storage.array, { [t.storage.field]: equalTo }))} and ${exact})`;
}

/** The string equalities a value filter's elements must all meet (`type eq "work" and value eq "x"`), for containment. */
function elementEqualities(f: Filter, array: string): Record<string, string> {
  if (f.op === 'and' && 'filters' in f) return Object.assign({}, ...f.filters.map((x) => elementEqualities(x, array))) as Record<string, string>;
  if (f.op !== 'eq' || !('compValue' in f) || typeof f.compValue !== 'string') return {};
  const sub = resolvePath(`${array}.${f.attrPath}`)?.sub;
  return sub && (sub.type === 'string' || sub.type === 'reference') ? { [sub.name]: f.compValue } : {};
}

function present(t: Target, element: string | undefined): Sql {
  if (t.storage.kind === 'document') return presentAt(t.storage.path);
  const expr = valueExpr(t, true);
  const condition = t.def.type === 'string' || t.def.type === 'reference' ? sql`(${expr} is not null and ${expr} <> '')` : sql`(${expr} is not null)`;
  return onElements(t, element, condition);
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SQL_OP: Record<string, Sql> = { gt: sql`>`, ge: sql`>=`, lt: sql`<`, le: sql`<=` };

function comparison(t: Target, op: string, raw: unknown, element: string | undefined): Sql {
  const type = t.def.type;
  if (t.custom) return customComparison(t, op, raw);
  if (type === 'boolean') return onElements(t, element, booleanComparison(t, op, raw));
  if (type === 'dateTime') return dateComparison(t, op, raw);
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw invalidFilter(`"${t.path}" is a string; compare it with a quoted value.`);
  }
  const value = String(raw);
  // The primary key serves `id eq`; ids are UUIDs, so any other value matches nothing.
  if (t.storage.kind === 'column' && t.storage.column === 'id' && (op === 'eq' || op === 'ne')) {
    if (!UUID.test(value)) return op === 'eq' ? sql`false` : sql`true`;
    return op === 'eq' ? sql`(id = cast(${value} as uuid))` : sql`(id <> cast(${value} as uuid))`;
  }
  if (t.storage.kind === 'document' && (op === 'eq' || op === 'ne')) {
    const keys = t.storage.path;
    const equal = t.def.caseExact ? sql`(${contains(nest(keys, value))} and ${resourceText(keys)} = ${value})` : contains(nest(keys, value));
    return op === 'eq' ? equal : sql`(not coalesce(${equal}, false))`;
  }
  // caseExact=false compares lower() on both sides: the (tenant_id, lower(user_name)) index serves `userName eq`.
  const column = valueExpr(t, true);
  const left = t.def.caseExact ? column : sql`lower(${column})`;
  const condition = stringCondition(left, op, value, !t.def.caseExact);
  return onElements(t, element, condition, op === 'eq' ? value : undefined);
}

/** `left <op> value` for strings; co/sw/ew as LIKE with the value escaped. */
function stringCondition(left: Sql, op: string, value: string, lowerValue: boolean): Sql {
  const param = (v: string): Sql => (lowerValue ? sql`lower(${v})` : sql`${v}`);
  switch (op) {
    case 'eq':
      return sql`(${left} = ${param(value)})`;
    case 'ne':
      return sql`(${left} is distinct from ${param(value)})`;
    case 'co':
      return sql`(${left} like ${param(`%${escapeLike(value)}%`)} escape '\\')`;
    case 'sw':
      return sql`(${left} like ${param(`${escapeLike(value)}%`)} escape '\\')`;
    case 'ew':
      return sql`(${left} like ${param(`%${escapeLike(value)}`)} escape '\\')`;
    default:
      return sql`(${left} ${SQL_OP[op] ?? sql`=`} ${param(value)})`;
  }
}

/**
 * A custom extension attribute has no declared type: eq/ne compare by the JSON type of the filter's value
 * (a "True"/"False" string also matches the JSON boolean, as Entra sends booleans both ways), strings
 * ignoring case; the ordering operators compare text.
 */
function customComparison(t: Target, op: string, raw: unknown): Sql {
  if (t.storage.kind !== 'document') throw invalidFilter(`Filtering on "${t.path}" is not supported.`);
  const keys = t.storage.path;
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    throw invalidFilter(`"${t.path}" must be compared with a string, number or boolean.`);
  }
  if (op === 'eq' || op === 'ne') {
    const candidates: unknown[] = typeof raw === 'string' && /^(true|false)$/i.test(raw) ? [raw, raw.toLowerCase() === 'true'] : [raw];
    const equal = sql`(${sql.join(candidates.map((v) => contains(nest(keys, v))), sql` or `)})`;
    return op === 'eq' ? equal : sql`(not ${equal})`;
  }
  if (typeof raw === 'boolean') throw invalidFilter(`"${t.path}" compared with a boolean takes only eq, ne and pr.`);
  return stringCondition(matchText(keys), op, String(raw), true);
}

function booleanComparison(t: Target, op: string, raw: unknown): Sql {
  const value = typeof raw === 'boolean' ? raw : typeof raw === 'string' && /^(true|false)$/i.test(raw) ? raw.toLowerCase() === 'true' : undefined;
  if (value === undefined) throw invalidFilter(`"${t.path}" is a boolean; compare it with true or false.`);
  if (op !== 'eq' && op !== 'ne') throw invalidFilter(`"${t.path}" is a boolean; only eq, ne and pr apply.`);
  if (t.storage.kind === 'document') {
    const equal = contains(nest(t.storage.path, value));
    return op === 'eq' ? equal : sql`(not ${equal})`;
  }
  // Element fields are text inside jsonb; compare their lower-cased text so "True" and true agree.
  const expr = t.storage.kind === 'column' ? sql.ref(t.storage.column) : sql`lower(v->>${sql.lit(t.storage.field)})`;
  const param = t.storage.kind === 'column' ? sql`${value}` : sql`${String(value)}`;
  return op === 'eq' ? sql`(${expr} = ${param})` : sql`(${expr} is distinct from ${param})`;
}

function dateComparison(t: Target, op: string, raw: unknown): Sql {
  const time = typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(time)) throw invalidFilter(`"${t.path}" is a dateTime; compare it with a quoted xsd:dateTime.`);
  if (op === 'co' || op === 'sw' || op === 'ew') throw invalidFilter(`"${t.path}" is a dateTime; co, sw and ew do not apply.`);
  const expr = valueExpr(t, false);
  const value = sql`cast(${new Date(time).toISOString()} as timestamptz)`;
  if (op === 'eq') return sql`(${expr} = ${value})`;
  if (op === 'ne') return sql`(${expr} <> ${value})`;
  return sql`(${expr} ${SQL_OP[op] ?? sql`=`} ${value})`;
}

/** The value of a filter that is exactly `userName eq "<value>"` (Entra's lookup, and its Test Connection). */
export function userNameEquality(filter: Filter): string | undefined {
  if (filter.op !== 'eq' || !('compValue' in filter)) return undefined;
  const resolved = resolvePath(filter.attrPath);
  if (resolved?.canonical !== 'userName') return undefined;
  return typeof filter.compValue === 'string' || typeof filter.compValue === 'number' ? String(filter.compValue) : undefined;
}
