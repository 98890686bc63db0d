import { invalidSyntax, invalidValue } from './errors.js';
import { CORE_GROUP_SCHEMA } from './group-schema.js';

/** A group's own fields as POST and PUT give them; `members` are user ids (checked against the tenant later). */
export interface GroupFields {
  displayName: string;
  externalId: string | null;
}

export interface GroupDocument extends GroupFields {
  members: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The longest displayName or externalId kept (Entra's group displayName is at most 256 characters). */
export const MAX_GROUP_NAME_LENGTH = 256;

/** displayName: required, a non-empty string, and not longer than MAX_GROUP_NAME_LENGTH. */
export function checkDisplayName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidValue('"displayName" is required for a group and must be a non-empty string.');
  if (value.length > MAX_GROUP_NAME_LENGTH) throw invalidValue(`"displayName" is longer than ${MAX_GROUP_NAME_LENGTH} characters.`);
  return value;
}

/** externalId: a string, or null/absent for none. */
export function checkExternalId(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw invalidValue('"externalId" must be a string.');
  if (value.length > MAX_GROUP_NAME_LENGTH) throw invalidValue(`"externalId" is longer than ${MAX_GROUP_NAME_LENGTH} characters.`);
  return value;
}

/**
 * The member ids in a `members` value: a list (or one) of `{ value, type?, display?, $ref? }` (RFC 7643 §4.2),
 * or bare ids. Only Users are members here (no nested groups), so a `type` other than User is refused.
 */
export function memberIdsIn(value: unknown, path = 'members'): string[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((el, i) => {
    if (typeof el === 'string') return el;
    if (!isObject(el)) throw invalidValue(`"${path}[${i}]" must be an object with a "value".`);
    const id = el['value'];
    if (typeof id !== 'string' || id === '') throw invalidValue(`"${path}[${i}].value" must be the id of a User.`);
    const type = el['type'];
    if (type !== undefined && type !== null && (typeof type !== 'string' || type.toLowerCase() !== 'user')) {
      throw invalidValue(`"${path}[${i}].type" must be "User": groups hold users only.`);
    }
    return id;
  });
}

/** Validates a Group from POST or PUT (RFC 7643 §4.2): readOnly id/meta ignored, unknown attributes refused. */
export function checkGroupDocument(body: unknown): GroupDocument {
  if (!isObject(body)) throw invalidSyntax('The request body must be a JSON object (a SCIM Group).');
  const schemas = body['schemas'];
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === CORE_GROUP_SCHEMA.toLowerCase())) {
    throw invalidSyntax(`"schemas" must list ${CORE_GROUP_SCHEMA}.`);
  }
  const byName = new Map(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v] as const));
  return {
    displayName: checkDisplayName(byName.get('displayname')),
    externalId: checkExternalId(byName.get('externalid')),
    members: memberIdsIn(byName.get('members')),
  };
}
