import { MAX_CHANGES } from '../provisioning-log/changes.js';
import type { AttributeChange } from '../provisioning-log/entry.js';
import type { MemberRef } from '../store/group-members.js';
import type { GroupRecord } from '../store/groups.js';
import { CORE_GROUP_SCHEMA } from './group-schema.js';
import type { ScimCall } from './logged-calls-service.js';
import { etagOf, type Projection } from './representation.js';

/**
 * The SCIM Group as returned to clients (RFC 7643 §4.2). `members` undefined: not read for this answer
 * (excluded by the projection), so absent; an empty group has no `members` either (RFC 7643 §2.4).
 */
export function renderGroup(row: GroupRecord, call: Pick<ScimCall, 'usersUrl' | 'groupsUrl'>, members: MemberRef[] | undefined): Record<string, unknown> {
  return {
    schemas: [CORE_GROUP_SCHEMA],
    id: row.id,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    displayName: row.display_name,
    ...(members && members.length > 0
      ? { members: members.map((m) => ({ value: m.id, $ref: `${call.usersUrl}/${m.id}`, display: m.display, type: 'User' })) }
      : {}),
    meta: {
      resourceType: 'Group',
      created: new Date(row.created_at).toISOString(),
      lastModified: new Date(row.updated_at).toISOString(),
      location: `${call.groupsUrl}/${row.id}`,
      version: etagOf(row.version),
    },
  };
}

/** True when the answer shows members, so they must be read (Entra reads groups with excludedAttributes=members). */
export function needsMembers(projection: Projection): boolean {
  const isMembers = (p: string) => p === 'members' || p.startsWith('members.');
  if (projection.attributes) return projection.attributes.some(isMembers);
  return !(projection.excluded ?? []).includes('members');
}

/**
 * The log's record of membership changes: one change per member id (added: new; removed: old), bounded like
 * every entry (MAX_CHANGES), with a final count of the ids left out.
 */
export function memberChanges(added: readonly string[], removed: readonly string[]): AttributeChange[] {
  const all: AttributeChange[] = [
    ...added.map((id) => ({ attribute: 'members', new: id })),
    ...removed.map((id) => ({ attribute: 'members', old: id })),
  ];
  if (all.length <= MAX_CHANGES) return all;
  const left = all.slice(MAX_CHANGES);
  const leftAdded = left.filter((c) => 'new' in c).length;
  return [...all.slice(0, MAX_CHANGES), { attribute: '…', new: `${leftAdded} more members added, ${left.length - leftAdded} more removed` }];
}
