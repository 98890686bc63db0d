import { invalidSyntax, invalidValue } from './errors.js';
import { isNableExtension } from './nable-extension.js';
import {
  CORE_ATTRIBUTES,
  CORE_USER_SCHEMA,
  ENTERPRISE_ATTRIBUTES,
  ENTERPRISE_USER_SCHEMA,
  isCustomExtension,
  type AttributeDef,
} from './user-schema.js';

/** The SCIM resource as stored in `accounts.resource`: everything a client sent except id, meta and secrets. */
export type UserDocument = Record<string, unknown>;

/** The portal account's own columns, derived from the document. */
export interface AccountFields {
  userName: string;
  externalId: string | null;
  givenName: string;
  familyName: string;
  displayName: string | null;
  email: string | null;
  active: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const findDef = (defs: AttributeDef[] | undefined, key: string): AttributeDef | undefined => {
  const lower = key.toLowerCase();
  return defs?.find((d) => d.name.toLowerCase() === lower);
};

/** Entra sends booleans as "True"/"False" strings in places; RFC 7643 §2.3.2 wants JSON booleans. */
export function toBoolean(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue(`"${path}" must be a boolean.`);
}

/** Checks one value against its definition; returns the value to store (undefined: drop it). */
function checkValue(def: AttributeDef, value: unknown, path: string, element = false): unknown {
  if (value === null) return undefined; // null means unassigned (RFC 7644 §3.5.2).
  if (def.multiValued && !element) {
    const list = Array.isArray(value) ? value : [value];
    const out = list.map((v, i) => checkValue(def, v, `${path}[${i}]`, true)).filter((v) => v !== undefined);
    refuseRepeatedTypes(out, path);
    return out.length ? out : undefined;
  }
  switch (def.type) {
    case 'boolean':
      return toBoolean(value, path);
    case 'string':
    case 'reference':
    case 'dateTime':
      // Kept as sent, `type` values too (Microsoft: store values as sent); they are matched ignoring case.
      if (typeof value !== 'string') throw invalidValue(`"${path}" must be a string.`);
      return value;
    case 'integer':
    case 'decimal':
      if (typeof value !== 'number') throw invalidValue(`"${path}" must be a number.`);
      return value;
    case 'complex':
      return checkComplex(def, value, path);
  }
}

/**
 * Two elements of one `type` (two work emails) would make `emails[type eq "work"]` name both, so a replace
 * would change both; Entra never sends them, and they are refused (400 invalidValue).
 */
function refuseRepeatedTypes(elements: unknown[], path: string): void {
  const seen = new Set<string>();
  for (const el of elements) {
    if (!isObject(el) || typeof el['type'] !== 'string') continue;
    const type = el['type'].toLowerCase();
    if (seen.has(type)) throw invalidValue(`"${path}" has more than one element of type "${el['type']}"; each type may appear once.`);
    seen.add(type);
  }
}

/** A custom extension's object, kept as sent less its null attributes (unassigned); undefined when nothing is left. */
function checkCustomExtension(key: string, value: unknown): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  if (!isObject(value)) throw invalidValue(`"${key}" must be an object of its attributes.`);
  const kept = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
  return Object.keys(kept).length ? kept : undefined;
}

function checkComplex(def: AttributeDef, value: unknown, path: string): Record<string, unknown> | undefined {
  let v = value;
  // Entra sends the manager as a bare id string, or as a one-element array of { value }.
  if (def.name === 'manager') {
    if (Array.isArray(v)) v = v[0] ?? null;
    if (typeof v === 'string') v = v === '' ? null : { value: v };
    if (v === null || v === undefined) return undefined;
  }
  if (!isObject(v)) throw invalidValue(`"${path}" must be an object.`);
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(v)) {
    const subDef = findDef(def.subAttributes, key);
    if (!subDef) {
      if (sub !== null) out[key] = sub;
      continue;
    }
    if (subDef.mutability === 'readOnly' && def.name !== 'manager') continue;
    const checked = checkValue(subDef, sub, `${path}.${subDef.name}`);
    if (checked !== undefined) out[subDef.name] = checked;
  }
  if (def.name === 'manager' && typeof out['value'] !== 'string') return undefined;
  return Object.keys(out).length ? out : undefined;
}

function checkAttributes(defs: AttributeDef[], body: Record<string, unknown>, prefix: string, out: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(body)) {
    const def = findDef(defs, key);
    if (!def) {
      // Attributes this server does not describe are kept as sent, so nothing Entra sends is lost.
      if (value !== null && value !== undefined) out[key] = value;
      continue;
    }
    // readOnly attributes in a request are ignored (RFC 7643 §2.2); a password is never stored.
    if (def.mutability === 'readOnly' || def.mutability === 'writeOnly') continue;
    const checked = checkValue(def, value, `${prefix}${def.name}`);
    if (checked !== undefined) out[def.name] = checked;
  }
}

/**
 * Validates a User from POST/PUT or the result of a PATCH and returns the document to store. userName,
 * active, name.givenName and name.familyName are required by the portal account (400 invalidValue naming it).
 */
export function checkUserDocument(body: unknown): { document: UserDocument; fields: AccountFields } {
  if (!isObject(body)) throw invalidSyntax('The request body must be a JSON object (a SCIM User).');
  const schemas = body['schemas'];
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === CORE_USER_SCHEMA.toLowerCase())) {
    throw invalidSyntax(`"schemas" must list ${CORE_USER_SCHEMA}.`);
  }
  const document: UserDocument = {};
  const rest: Record<string, unknown> = {};
  let enterprise: Record<string, unknown> | undefined;
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    // The N-able extension is readOnly (the portal computes the role): a client's copy is ignored (RFC 7643 §2.2).
    if (lower === 'schemas' || lower === 'id' || lower === 'meta' || isNableExtension(key)) continue;
    if (lower === ENTERPRISE_USER_SCHEMA.toLowerCase()) {
      if (value === null) continue;
      if (!isObject(value)) throw invalidValue(`"${ENTERPRISE_USER_SCHEMA}" must be an object.`);
      const ext: Record<string, unknown> = {};
      checkAttributes(ENTERPRISE_ATTRIBUTES, value, `${ENTERPRISE_USER_SCHEMA}:`, ext);
      if (Object.keys(ext).length) enterprise = ext;
      continue;
    }
    if (isCustomExtension(key)) {
      const ext = checkCustomExtension(key, value);
      if (ext) custom[key] = ext;
      continue;
    }
    rest[key] = value;
  }
  checkAttributes(CORE_ATTRIBUTES, rest, '', document);
  if (enterprise) document[ENTERPRISE_USER_SCHEMA] = enterprise;
  Object.assign(document, custom);
  const listed = schemas.filter(
    (s): s is string => typeof s === 'string' && s.startsWith('urn:') && s.toLowerCase() !== CORE_USER_SCHEMA.toLowerCase() &&
      s.toLowerCase() !== ENTERPRISE_USER_SCHEMA.toLowerCase() && !isNableExtension(s) && s in document,
  );
  // A custom extension a PATCH brought in is listed too (RFC 7643 §3: "schemas" names every schema in use).
  const otherSchemas = [...new Set([...listed, ...Object.keys(custom)])];
  document['schemas'] = [CORE_USER_SCHEMA, ...(enterprise ? [ENTERPRISE_USER_SCHEMA] : []), ...otherSchemas];
  return { document, fields: accountFields(document) };
}

const requiredString = (value: unknown, path: string): string => {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidValue(`"${path}" is required for an N-able portal account and must be a non-empty string.`);
  }
  return value;
};

function accountFields(doc: UserDocument): AccountFields {
  const userName = requiredString(doc['userName'], 'userName');
  if (doc['active'] === undefined) throw invalidValue('"active" is required for an N-able portal account.');
  const name = isObject(doc['name']) ? doc['name'] : {};
  return {
    userName,
    externalId: typeof doc['externalId'] === 'string' ? doc['externalId'] : null,
    givenName: requiredString(name['givenName'], 'name.givenName'),
    familyName: requiredString(name['familyName'], 'name.familyName'),
    displayName: typeof doc['displayName'] === 'string' ? doc['displayName'] : null,
    email: primaryWorkEmail(doc['emails']),
    active: doc['active'] === true,
  };
}

/** The portal account's email: the primary work email, else any work email, else the primary, else the first. */
function primaryWorkEmail(emails: unknown): string | null {
  if (!Array.isArray(emails)) return null;
  const list = emails.filter(isObject).filter((e) => typeof e['value'] === 'string');
  const isWork = (e: Record<string, unknown>): boolean => typeof e['type'] === 'string' && e['type'].toLowerCase() === 'work';
  const pick =
    list.find((e) => isWork(e) && e['primary'] === true) ??
    list.find(isWork) ??
    list.find((e) => e['primary'] === true) ??
    list[0];
  return pick ? (pick['value'] as string) : null;
}
