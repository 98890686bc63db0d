import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget } from './errors.js';
import { toBoolean } from './user-resource.js';
import { ENTERPRISE_USER_SCHEMA, isCustomExtension, isReadOnly, leafOf, resolvePath, type AttributeDef } from './user-schema.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * The longest PATCH path (or path-less attribute key) accepted: far above any path of the User schema with a
 * value filter, and it keeps the path parsing of one operation small (README, "Limits").
 */
export const MAX_PATCH_PATH_LENGTH = 512;

/** A PATCH operation after normalisation: lower-case op, canonical path, values of the schema's types. */
export interface NormalisedOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Turns a PatchOp body as Entra sends it into operations scim-patch applies correctly (see DEPENDENCIES.md):
 * ops in any case, path-less add/replace split into one operation per attribute (dotted keys and extension
 * URNs, enterprise or custom, as keys), attribute names in canonical case, "True"/"False" as booleans (in
 * values and in value-path filters: Entra's `roles[primary eq "True"].value`), the manager as `{ value }`,
 * and a manager `remove` with a value treated as a plain remove. `type` values keep the case they were sent
 * in (Microsoft asks that values be stored as sent); applyPatch matches them ignoring case.
 */
export function normaliseEntraPatch(body: unknown, maxOperations = Number.POSITIVE_INFINITY): NormalisedOperation[] {
  const out: NormalisedOperation[] = [];
  for (const { op, path, value, hasValue } of readPatchOperations(body, maxOperations)) {
    if (path === undefined) {
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (key.length > MAX_PATCH_PATH_LENGTH) throw invalidPath(`An attribute name is longer than ${MAX_PATCH_PATH_LENGTH} characters.`);
        // An extension's URN as a key, enterprise or custom: one operation per attribute inside it.
        const isEnterprise = key.toLowerCase() === ENTERPRISE_USER_SCHEMA.toLowerCase();
        if ((isEnterprise || isCustomExtension(key)) && isObject(v)) {
          for (const [sub, x] of Object.entries(v)) pushOperation(out, op, `${isEnterprise ? ENTERPRISE_USER_SCHEMA : key}:${sub}`, x, true);
        } else {
          pushOperation(out, op, key, v, true);
        }
      }
      continue;
    }
    pushOperation(out, op, path, value, hasValue);
  }
  return out;
}

/** One operation of a PatchOp body as sent, with its op lower-cased (Entra sends "Add", "Replace", "Remove"). */
export interface RawPatchOperation {
  op: 'add' | 'replace' | 'remove';
  /** Undefined: no path, and then `value` is an object of attributes. */
  path: string | undefined;
  value: unknown;
  hasValue: boolean;
}

/**
 * The PatchOp envelope (RFC 7644 §3.5.2), shared by Users and Groups: the schema, a non-empty `Operations`
 * list (either case, as Entra sends it) of at most `maxOperations` (SCIM_MAX_PATCH_OPERATIONS), ops in any
 * case, paths bounded in length, a path-less remove refused (noTarget) and a path-less add/replace an object.
 */
export function readPatchOperations(body: unknown, maxOperations = Number.POSITIVE_INFINITY): RawPatchOperation[] {
  if (!isObject(body)) throw invalidSyntax('The PATCH body must be a JSON object (a PatchOp).');
  const schemas = body['schemas'];
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_OP_SCHEMA)) throw invalidSyntax(`"schemas" must be ["${PATCH_OP_SCHEMA}"].`);
  const operations = body['Operations'] ?? body['operations'];
  if (!Array.isArray(operations) || operations.length === 0) throw invalidSyntax('"Operations" must be a non-empty array.');
  // Bounds the work one request can ask for (SCIM_MAX_PATCH_OPERATIONS); Entra sends a handful per PATCH.
  if (operations.length > maxOperations) throw invalidValue(`A PATCH may carry at most ${maxOperations} operations; this one has ${operations.length}.`);
  return operations.map((raw: unknown): RawPatchOperation => {
    if (!isObject(raw)) throw invalidSyntax('Each operation must be an object.');
    const op = typeof raw['op'] === 'string' ? raw['op'].toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw invalidSyntax(`Unknown PATCH op "${String(raw['op'])}".`);
    const path = raw['path'];
    if (path === undefined || path === null || path === '') {
      // RFC 7644 §3.5.2.2: a remove without a path fails with noTarget.
      if (op === 'remove') throw noTarget('A "remove" operation needs a path.');
      if (!isObject(raw['value'])) throw invalidSyntax(`A "${op}" without a path needs an object value.`);
      return { op, path: undefined, value: raw['value'], hasValue: true };
    }
    if (typeof path !== 'string') throw invalidPath('"path" must be a string.');
    if (path.length > MAX_PATCH_PATH_LENGTH) throw invalidPath(`"path" is longer than ${MAX_PATCH_PATH_LENGTH} characters.`);
    return { op, path, value: raw['value'], hasValue: 'value' in raw };
  });
}

/**
 * `attr[filter].sub` → its parts; the filter's text is kept, with attribute names and `type` values canonicalised.
 * Anchored at both ends with a bracket-free head, so one pass decides it (test/security/regex-linear.test.ts).
 */
export const VALUE_PATH = /^([^[\]]+)\[(.+)\](?:\.([A-Za-z$][\w]*))?$/;

function pushOperation(out: NormalisedOperation[], op: 'add' | 'replace' | 'remove', rawPath: string, value: unknown, hasValue: boolean): void {
  const match = VALUE_PATH.exec(rawPath);
  const base = match ? (match[1] ?? '') : rawPath;
  const resolved = resolvePath(base);
  if (!resolved) throw invalidPath(`"${rawPath}" is not an attribute of a User.`);
  if (isReadOnly(resolved)) throw mutability(`"${resolved.canonical}" is readOnly and cannot be modified.`);
  // A password is never stored: the operation is dropped rather than refused, so Entra's cycle continues.
  if (resolved.attribute.mutability === 'writeOnly') return;
  let path = resolved.canonical;
  let leaf: AttributeDef = leafOf(resolved);
  if (match) {
    if (!resolved.attribute.multiValued || resolved.sub) throw invalidPath(`"${rawPath}": a value filter applies only to a multi-valued attribute.`);
    const filter = canonicaliseFilter(match[2] ?? '', resolved.attribute);
    path = `${path}[${filter}]`;
    if (match[3]) {
      const sub = resolved.attribute.subAttributes?.find((s) => s.name.toLowerCase() === (match[3] ?? '').toLowerCase());
      if (!sub) throw invalidPath(`"${rawPath}": "${match[3]}" is not a sub-attribute of ${resolved.attribute.name}.`);
      if (sub.mutability === 'readOnly') throw mutability(`"${resolved.canonical}.${sub.name}" is readOnly and cannot be modified.`);
      path = `${path}.${sub.name}`;
      leaf = sub;
    } else {
      leaf = { ...resolved.attribute, multiValued: false };
    }
  }
  if (op === 'remove') {
    // Entra removes the manager with or without a value; a value on a single-valued attribute means nothing more.
    const keepValue = hasValue && resolved.attribute.multiValued && !resolved.sub && !match && value !== undefined && value !== null;
    out.push(keepValue ? { op, path, value } : { op, path });
    return;
  }
  if (!hasValue) throw invalidSyntax(`The "${op}" operation on "${rawPath}" needs a value.`);
  if (value === null) {
    out.push({ op: 'remove', path });
    return;
  }
  out.push({ op, path, value: coerce(leaf, value, path) });
}

/** Brings a PATCH value to the schema's type: "True" → true, a bare manager id → { value }. */
function coerce(def: AttributeDef, value: unknown, path: string): unknown {
  if (def.name === 'manager' && !def.multiValued) {
    const v = Array.isArray(value) ? value[0] : value;
    if (typeof v === 'string') return { value: v };
    if (isObject(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null));
    throw invalidValue(`"${path}" must be a manager id or { "value": id }.`);
  }
  if (def.type === 'boolean' && !def.multiValued) return toBoolean(value, path);
  if (def.type === 'complex' && def.subAttributes) {
    const fix = (el: unknown): unknown => (isObject(el) ? coerceElement(def, el, path) : el);
    if (Array.isArray(value)) return value.map(fix);
    return fix(value);
  }
  return value;
}

function coerceElement(def: AttributeDef, el: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(el)) {
    const sub = def.subAttributes?.find((s) => s.name.toLowerCase() === key.toLowerCase());
    if (!sub) {
      out[key] = v;
      continue;
    }
    if (sub.type === 'boolean') out[sub.name] = toBoolean(v, `${path}.${sub.name}`);
    else out[sub.name] = v;
  }
  return out;
}

/**
 * An attribute name, its operator and a quoted value inside a value filter. The lookbehind lets a match start
 * only where a name starts: unanchored, `[A-Za-z$]\w*` was retried inside every name, quadratic in its length.
 */
export const VALUE_FILTER_COMPARISON = /(?<![\w$])([A-Za-z$]\w*)(\s+)(eq|ne|co|sw|ew|gt|ge|lt|le|pr)\b(\s*)("(?:[^"\\]|\\.)*")?/gi;

/**
 * Canonicalises sub-attribute names inside a PATCH path filter, and a boolean sub-attribute's "True"/"False"
 * to JSON true/false so `roles[primary eq "True"]` finds the stored `primary: true` instead of adding another.
 */
export function canonicaliseFilter(filter: string, attribute: AttributeDef): string {
  return filter.replace(VALUE_FILTER_COMPARISON, (m, name: string, s1: string, op: string, s2: string, value: string | undefined) => {
    const sub = attribute.subAttributes?.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!sub) {
      if (/^(and|or|not)$/i.test(name)) return m;
      throw invalidPath(`"${name}" is not a sub-attribute of ${attribute.name}.`);
    }
    let v = value;
    if (v !== undefined && sub.type === 'boolean' && /^"(true|false)"$/i.test(v)) v = v.slice(1, -1).toLowerCase();
    return `${sub.name}${s1}${op.toLowerCase()}${s2}${v ?? ''}`;
  });
}
