import { NABLE_USER_SCHEMA } from './nable-extension.js';
import { etagOf, type UserGroup } from './representation.js';

/** A stored User as a list page reads it: the resource's JSON text split at the top level (src/store/accounts.ts). */
export interface StoredUserText {
  id: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  /** The resource without `schemas`, as JSON text. */
  resource_text: string;
  /** The resource's `schemas` as JSON text, null when it has none. */
  schemas_text: string | null;
}

/**
 * Names whose presence means renderUser would change the stored resource (an `id`, `meta` or `groups` it replaces,
 * a manager whose displayName it fills, the N-able extension it leaves out). Looked for as quoted text anywhere, so a
 * value or a nested key that happens to match only sends the user down the parsing path, which is always right.
 */
const CHANGED_BY_RENDERING = ['"id"', '"meta"', '"groups"', '"manager"', `"${NABLE_USER_SCHEMA}"`];

/** True when the stored text is already the User renderUser would answer with, `id`, `groups` and `meta` aside. */
export function answersAsStored(user: StoredUserText): boolean {
  const schemas = user.schemas_text;
  if (schemas === null || !schemas.startsWith('[') || schemas.includes(`"${NABLE_USER_SCHEMA}"`)) return false;
  const rest = user.resource_text;
  return rest.startsWith('{') && !CHANGED_BY_RENDERING.some((name) => rest.includes(name));
}

/**
 * The User a default read answers (renderUser's shape: schemas, id, the stored attributes, groups, meta) as JSON
 * text around the stored text, never parsed (issue 14: on a page of 100 users, parsing the stored JSON, rebuilding
 * each User and serialising it again was most of the request's CPU). Only for a user answersAsStored accepts.
 */
export function renderStoredUserText(user: StoredUserText, usersUrl: string, groups: { list: readonly UserGroup[]; groupsUrl: string }): string {
  const rest = user.resource_text;
  const attributes = rest.length > 2 ? `,${rest.slice(1, -1)}` : '';
  const memberOf =
    groups.list.length > 0
      ? `,"groups":${JSON.stringify(groups.list.map((g) => ({ value: g.id, $ref: `${groups.groupsUrl}/${g.id}`, display: g.displayName, type: 'direct' })))}`
      : '';
  const meta = JSON.stringify({
    resourceType: 'User',
    created: new Date(user.created_at).toISOString(),
    lastModified: new Date(user.updated_at).toISOString(),
    location: `${usersUrl}/${user.id}`,
    version: etagOf(user.version),
  });
  return `{"schemas":${user.schemas_text ?? '[]'},"id":${JSON.stringify(user.id)}${attributes}${memberOf},"meta":${meta}}`;
}

/** The stored resource parsed, for a user the text path does not take. */
export function parsedResource(user: StoredUserText): Record<string, unknown> {
  const rest = JSON.parse(user.resource_text) as Record<string, unknown>;
  return user.schemas_text === null ? rest : { schemas: JSON.parse(user.schemas_text) as unknown, ...rest };
}
