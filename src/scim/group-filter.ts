import { sql, type RawBuilder } from 'kysely';
import type { Filter } from 'scim2-parse-filter';
import { invalidFilter } from './errors.js';
import type { FilterSchema } from './filter.js';
import { resolveGroupPath } from './group-schema.js';
import type { AttributeDef } from './user-schema.js';

type Sql = RawBuilder<unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Filters on Groups: the columns go through the shared compiler (filter.ts); `members` is rows of
 * `group_members`, so a condition on it is an EXISTS on that table's primary key, `(tenant_id, group_id,
 * account_id)`, never a scan of a member list. What Entra and the issue need: `members[value eq "id"]`,
 * `members.value eq "id"`, `members eq "id"`, `pr`, with and/or/not inside the brackets.
 * The outer query is on `groups` (unaliased).
 */
export const GROUP_FILTER_SCHEMA: FilterSchema = {
  resolve: resolveGroupPath,
  related: (attribute: AttributeDef, f: Filter): Sql | undefined => {
    if (attribute.name !== 'members') return undefined;
    if (f.op === '[]' && 'valFilter' in f) return memberExists(memberCondition(f.valFilter));
    if (!('attrPath' in f)) return undefined;
    const resolved = resolveGroupPath(f.attrPath);
    if (resolved?.sub && resolved.sub.name !== 'value') throw unsupported();
    if (f.op === 'pr') return memberExists(sql`true`);
    return memberExists(memberCondition({ ...f, attrPath: 'value' } as Filter));
  },
};

const unsupported = () => invalidFilter('A filter on members supports only "value" with eq or ne, and pr.');

const memberExists = (condition: Sql): Sql =>
  sql`exists (select 1 from group_members gm where gm.tenant_id = groups.tenant_id and gm.group_id = groups.id and ${condition})`;

/** A condition on one membership row `gm`; member ids are uuids, so any other value matches nothing. */
function memberCondition(f: Filter): Sql {
  switch (f.op) {
    case 'and':
    case 'or':
      if (!('filters' in f)) throw invalidFilter('Malformed logical expression.');
      return sql`(${sql.join(f.filters.map(memberCondition), f.op === 'and' ? sql` and ` : sql` or `)})`;
    case 'not':
      if (!('filter' in f)) throw invalidFilter('Malformed not expression.');
      return sql`(not ${memberCondition(f.filter)})`;
    case 'pr':
      if (!('attrPath' in f) || f.attrPath.toLowerCase() !== 'value') throw unsupported();
      return sql`true`;
    case 'eq':
    case 'ne': {
      if (!('attrPath' in f) || !('compValue' in f) || f.attrPath.toLowerCase() !== 'value') throw unsupported();
      const value = f.compValue;
      if (typeof value !== 'string') throw invalidFilter('"members.value" is a user id; compare it with a quoted value.');
      const equal = UUID.test(value) ? sql`(gm.account_id = cast(${value} as uuid))` : sql`false`;
      return f.op === 'eq' ? equal : sql`(not ${equal})`;
    }
    default:
      throw unsupported();
  }
}
