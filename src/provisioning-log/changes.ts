import type { AttributeChange } from './entry.js';

/** Bounds so one entry stays small whatever a client sends. */
export const MAX_CHANGES = 40;
export const MAX_VALUE_CHARS = 200;

/** Attribute names that may carry a secret: never logged, whatever their value. */
const SECRET = /password|secret|token|credential/i;
const ENTERPRISE_PREFIX = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flattens a SCIM document into attribute path → value: complex attributes by sub-attribute, arrays whole. */
function flatten(doc: Record<string, unknown>, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'schemas' || key === 'meta' || key === 'id' || SECRET.test(key)) continue;
    // The enterprise extension's attributes read as plain names (manager.value); no core attribute shares them.
    const path = key === ENTERPRISE_PREFIX ? '' : `${prefix}${key}`;
    if (isObject(value)) flatten(value, path === '' ? '' : `${path}.`, out);
    else if (value !== undefined) out.set(path, value);
  }
  return out;
}

/** Values are kept as JSON-able data, cut to MAX_VALUE_CHARS so an entry stays bounded. */
function bounded(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  const json = JSON.stringify(value);
  return json.length > MAX_VALUE_CHARS ? `${json.slice(0, MAX_VALUE_CHARS)}…` : value;
}

/** JSON with object keys sorted: jsonb reorders keys, so a stored value and a resent one compare equal. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (isObject(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/**
 * What changed from `before` to `after`, attribute by attribute, old → new (absent on a side when the
 * attribute was absent). At most MAX_CHANGES entries; a final `…` entry says how many were left out.
 */
export function diffDocuments(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): AttributeChange[] {
  const old = flatten(before ?? {});
  const next = flatten(after ?? {});
  const changes: AttributeChange[] = [];
  const paths = [...new Set([...old.keys(), ...next.keys()])].sort();
  for (const attribute of paths) {
    const o = old.get(attribute);
    const n = next.get(attribute);
    if (same(o, n)) continue;
    changes.push({ attribute, ...(o !== undefined ? { old: bounded(o) } : {}), ...(n !== undefined ? { new: bounded(n) } : {}) });
  }
  if (changes.length <= MAX_CHANGES) return changes;
  return [...changes.slice(0, MAX_CHANGES), { attribute: '…', new: `${changes.length - MAX_CHANGES} more attributes changed` }];
}
