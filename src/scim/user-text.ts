import { sql, type RawBuilder } from 'kysely';
import { NABLE_USER_SCHEMA } from './nable-extension.js';
import { etagOf, type UserGroup } from './representation.js';
import { ENTERPRISE_USER_SCHEMA } from './user-schema.js';

/** A stored User as a list page reads it: the resource's JSON text split at the top level (src/store/accounts.ts). */
export interface StoredUserText {
  id: string;
  version: number;
  /** meta.created and meta.lastModified, as toISOString() prints them. */
  created: string;
  last_modified: string;
  /** The resource without `schemas`, as JSON text. */
  resource_text: string;
  /** The resource's `schemas` as JSON text, null when it has none. */
  schemas_text: string | null;
}

/**
 * True, computed by PostgreSQL with each listed row, when the stored resource is already the User renderUser would
 * answer with, `id`, `groups` and `meta` aside: `schemas` a list without the N-able extension, and none of what
 * renderUser changes (an `id`, `meta` or `groups` it replaces, the N-able extension it leaves out, a manager whose
 * displayName it fills). Key lookups in the jsonb, so a page does not scan its text for them.
 */
export const ANSWERS_AS_STORED: RawBuilder<boolean> = sql<boolean>`(
  coalesce(jsonb_typeof(resource -> 'schemas') = 'array', false)
  and not ((resource -> 'schemas') ? ${sql.lit(NABLE_USER_SCHEMA)})
  and not (resource ?| array['id', 'meta', 'groups', ${sql.lit(NABLE_USER_SCHEMA)}])
  and not coalesce((resource -> ${sql.lit(ENTERPRISE_USER_SCHEMA)}) ? 'manager', false))`;

/**
 * The User a default read answers (renderUser's shape: schemas, id, the stored attributes, groups, meta) as JSON
 * text around the stored text, never parsed (issue 14: on a page of 100 users, parsing the stored JSON, rebuilding
 * each User and serialising it again was most of the request's CPU). Only for a row ANSWERS_AS_STORED holds for.
 */
export function renderStoredUserText(user: StoredUserText, usersUrl: string, groups: { list: readonly UserGroup[]; groupsUrl: string }): string {
  const rest = user.resource_text;
  const attributes = rest.length > 2 ? `,${rest.slice(1, -1)}` : '';
  const memberOf =
    groups.list.length > 0
      ? `,"groups":${JSON.stringify(groups.list.map((g) => ({ value: g.id, $ref: `${groups.groupsUrl}/${g.id}`, display: g.displayName, type: 'direct' })))}`
      : '';
  // ids are UUIDs and the URL is ours: nothing in these needs escaping beyond what JSON.stringify does once.
  const meta = `{"resourceType":"User","created":"${user.created}","lastModified":"${user.last_modified}","location":${JSON.stringify(`${usersUrl}/${user.id}`)},"version":${JSON.stringify(etagOf(user.version))}}`;
  return `{"schemas":${user.schemas_text ?? '[]'},"id":${JSON.stringify(user.id)}${attributes}${memberOf},"meta":${meta}}`;
}

/** The stored resource parsed, for a user the text path does not take. */
export function parsedResource(user: StoredUserText): Record<string, unknown> {
  const rest = JSON.parse(user.resource_text) as Record<string, unknown>;
  return user.schemas_text === null ? rest : { schemas: JSON.parse(user.schemas_text) as unknown, ...rest };
}
