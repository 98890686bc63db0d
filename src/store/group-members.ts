import { sql, type Kysely, type RawBuilder, type SqlBool, type Transaction } from 'kysely';
import type { DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * Group membership, one row per (group, account) in `group_members`. Every function names the rows it
 * touches, so its cost follows the members named, never the group's size (issue 17). Ids travel as one
 * uuid[] parameter, so a PATCH of thousands of members is one statement with three parameters.
 */

/** A member as SCIM shows it: the account id and the name to display beside it. */
export interface MemberRef {
  id: string;
  display: string;
}

/** A group as a user's readOnly `groups` attribute shows it. */
export interface GroupRef {
  id: string;
  displayName: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuidArray = (ids: readonly string[]) => sql`cast(${[...ids]} as uuid[])`;
/**
 * `column = any($1::uuid[])`: one parameter however many ids. Only where the ids are the whole key's last
 * part is not at stake (a page of groups or accounts); where the key is (tenant, group, account), the ids are
 * joined as rows (`unnest … as r(id)`), so each is an index lookup: without fresh statistics PostgreSQL
 * applied `= any` as a filter over the whole group (measured: a 10,000-member group's remove took 2.5× longer).
 */
const inIds = (column: string, ids: readonly string[]): RawBuilder<SqlBool> => sql<SqlBool>`${sql.ref(column)} = any(${uuidArray(ids)})`;
const unique = (ids: readonly string[]) => [...new Set(ids.map((id) => id.toLowerCase()))];

/** The ids among these that are not accounts of the tenant (not a uuid at all counts as not an account). */
export async function findMissingAccounts(db: Db, tenantId: string, accountIds: readonly string[]): Promise<string[]> {
  const wellFormed = unique(accountIds.filter((id) => UUID.test(id)));
  const found = wellFormed.length === 0
    ? new Set<string>()
    : new Set((await sql<{ id: string }>`
      select a.id from unnest(${uuidArray(wellFormed)}) as r(id)
      join accounts a on a.tenant_id = ${tenantId}::uuid and a.id = r.id`.execute(db)).rows.map((r) => r.id.toLowerCase()));
  return accountIds.filter((id) => !found.has(id.toLowerCase()));
}

/**
 * Adds these accounts to the group; ones already members are left as they are. Only accounts of the tenant
 * are inserted (the caller reports the others first, see findMissingAccounts). Returns the ids newly added.
 */
export async function addMembers(trx: Transaction<DB>, tenantId: string, groupId: string, accountIds: readonly string[], now: Date): Promise<string[]> {
  const ids = unique(accountIds.filter((id) => UUID.test(id)));
  if (ids.length === 0) return [];
  const { rows } = await sql<{ account_id: string }>`
    insert into group_members (tenant_id, group_id, account_id, added_at)
    select a.tenant_id, ${groupId}::uuid, a.id, cast(${now} as timestamptz)
    from unnest(${uuidArray(ids)}) as r(id)
    join accounts a on a.tenant_id = ${tenantId}::uuid and a.id = r.id
    on conflict do nothing
    returning account_id`.execute(trx);
  return rows.map((r) => r.account_id);
}

/** Removes these accounts from the group; returns the ids that were members. */
export async function removeMembers(trx: Transaction<DB>, tenantId: string, groupId: string, accountIds: readonly string[]): Promise<string[]> {
  const ids = unique(accountIds.filter((id) => UUID.test(id)));
  if (ids.length === 0) return [];
  // `= any(array)` is an index condition on the primary key, so the cost follows the ids named, not the group's size.
  const { rows } = await sql<{ account_id: string }>`
    delete from group_members
    where tenant_id = ${tenantId}::uuid and group_id = ${groupId}::uuid and account_id = any(${uuidArray(ids)})
    returning account_id`.execute(trx);
  return rows.map((r) => r.account_id);
}

/** Makes the group's members exactly these accounts (SCIM replace / PUT): removes the others, adds the new. */
export async function replaceMembers(
  trx: Transaction<DB>,
  tenantId: string,
  groupId: string,
  accountIds: readonly string[],
  now: Date,
): Promise<{ added: string[]; removed: string[] }> {
  const ids = unique(accountIds.filter((id) => UUID.test(id)));
  const removedRows = await trx
    .deleteFrom('group_members')
    .where('tenant_id', '=', tenantId)
    .where('group_id', '=', groupId)
    .where((eb) => eb.not(inIds('account_id', ids)))
    .returning('account_id')
    .execute();
  const added = await addMembers(trx, tenantId, groupId, ids, now);
  return { added, removed: removedRows.map((r) => r.account_id) };
}

/** The group's members in the order they were added (then by id), with each account's display name. */
export async function listGroupMembers(db: Db, tenantId: string, groupId: string): Promise<MemberRef[]> {
  return (await listMembersOfGroups(db, tenantId, [groupId])).get(groupId) ?? [];
}

/** Members of several groups at once (a list page), one query; groups without members are absent. */
export async function listMembersOfGroups(db: Db, tenantId: string, groupIds: readonly string[]): Promise<Map<string, MemberRef[]>> {
  const out = new Map<string, MemberRef[]>();
  if (groupIds.length === 0) return out;
  const rows = await db
    .selectFrom('group_members as m')
    .innerJoin('accounts as a', (j) => j.onRef('a.tenant_id', '=', 'm.tenant_id').onRef('a.id', '=', 'm.account_id'))
    .select(['m.group_id', 'm.account_id', 'a.display_name', 'a.user_name'])
    .where('m.tenant_id', '=', tenantId)
    .where(inIds('m.group_id', groupIds))
    .orderBy('m.group_id')
    .orderBy('m.added_at')
    .orderBy('m.account_id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.group_id) ?? [];
    list.push({ id: r.account_id, display: r.display_name ?? r.user_name });
    out.set(r.group_id, list);
  }
  return out;
}

/** The groups one account is in, by display name. */
export async function listGroupsOfAccount(db: Db, tenantId: string, accountId: string): Promise<GroupRef[]> {
  return (await listGroupsOfAccounts(db, tenantId, [accountId])).get(accountId) ?? [];
}

/** The groups of several accounts at once (a list page of users), one query; accounts in no group are absent. */
export async function listGroupsOfAccounts(db: Db, tenantId: string, accountIds: readonly string[]): Promise<Map<string, GroupRef[]>> {
  const out = new Map<string, GroupRef[]>();
  if (accountIds.length === 0) return out;
  const rows = await db
    .selectFrom('group_members as m')
    .innerJoin('groups as g', (j) => j.onRef('g.tenant_id', '=', 'm.tenant_id').onRef('g.id', '=', 'm.group_id'))
    .select(['m.account_id', 'g.id', 'g.display_name'])
    .where('m.tenant_id', '=', tenantId)
    .where(inIds('m.account_id', accountIds))
    .orderBy('m.account_id')
    .orderBy('g.display_name')
    .orderBy('g.id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.account_id) ?? [];
    list.push({ id: r.id, displayName: r.display_name });
    out.set(r.account_id, list);
  }
  return out;
}

/**
 * Takes an account out of every group before it is deleted, bumping each group's version (its ETag) in the
 * same transaction; returns the groups it left. (The foreign key's cascade would drop the rows too, but
 * silently: the groups' ETags would not change.)
 */
export async function removeAccountFromGroups(trx: Transaction<DB>, tenantId: string, accountId: string, now: Date): Promise<string[]> {
  const rows = await trx
    .deleteFrom('group_members')
    .where('tenant_id', '=', tenantId)
    .where('account_id', '=', accountId)
    .returning('group_id')
    .execute();
  const groupIds = rows.map((r) => r.group_id);
  if (groupIds.length > 0) {
    await trx
      .updateTable('groups')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
      .where('tenant_id', '=', tenantId)
      .where(inIds('id', groupIds))
      .execute();
  }
  return groupIds;
}
