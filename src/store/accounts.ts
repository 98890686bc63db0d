import { sql, type Expression, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { countDeleted, countedAccounts, countInserted } from './account-counts.js';
import type { GroupRef } from './group-members.js';
import { prepared, preparedShape } from './prepared-statements.js';
import type { Account, DB, NewProvisioningLogRow, PortalRoleName } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/** The account columns a caller writes; id, tenant and timestamps are passed separately. */
export interface AccountValues {
  user_name: string;
  external_id: string | null;
  given_name: string;
  family_name: string;
  display_name: string | null;
  email: string | null;
  active: boolean;
  resource: Record<string, unknown>;
}

/** An account's effective role as first set when it is created (src/roles); later changes go through account-roles.ts. */
export interface InitialRole {
  /** 'tenant default': the tenant's default_role, read inside the insert itself (one round trip fewer per create). */
  role: PortalRoleName | 'tenant default';
  cause: Record<string, unknown>;
  /** Its provisioning-log entry, written in the same statement as the account. */
  entry?: EntryDraft;
}

/** Just what a SCIM answer needs, so hot reads do not drag every column across the wire. */
export type AccountRecord = Pick<Account, 'id' | 'user_name' | 'external_id' | 'active' | 'resource' | 'version' | 'role' | 'created_at' | 'updated_at'>;
export const RECORD_COLUMNS = ['id', 'user_name', 'external_id', 'active', 'resource', 'version', 'role', 'created_at', 'updated_at'] as const;

/** An account with the groups it is in (its readOnly SCIM `groups`), read in the same statement. */
export type AccountWithGroups = AccountRecord & { groups: GroupRef[] };

/**
 * An account as a list page reads it: the resource as PostgreSQL's JSON text, not parsed, and its timestamps as
 * ISO text, so a page can answer with the stored text spliced in (issue 14: parsing, rebuilding and re-serialising
 * was most of a page's CPU).
 */
export type ListedAccount = Pick<AccountRecord, 'id' | 'user_name' | 'external_id' | 'active' | 'version' | 'role'> & {
  /** created_at and updated_at as Date.toISOString() prints them (to the millisecond, truncated as pg's Date is). */
  created: string;
  last_modified: string;
  /** The resource without `schemas`, as JSON text. */
  resource_text: string;
  /** Its `schemas` as JSON text, null when it has none. */
  schemas_text: string | null;
  /** The caller's test on the stored resource (ListedQuery.asStored), computed with the row. */
  as_stored: boolean;
  groups: GroupRef[];
};

/** What every list of ListedAccounts is told by its caller. */
export interface ListedQuery {
  /** Whether a row's stored text is already its answer: the SCIM layer's condition on `resource` (src/scim/user-text.ts). */
  asStored: Expression<SqlBool>;
}

const isoText = (column: 'created_at' | 'updated_at') => sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The columns of a ListedAccount, groups aside. */
export const listedColumns = (q: ListedQuery) =>
  [
    'id',
    'user_name',
    'external_id',
    'active',
    'version',
    'role',
    isoText('created_at').as('created'),
    isoText('updated_at').as('last_modified'),
    // Split at the top level, so a page can put `schemas` first without parsing the rest (the SCIM shape).
    sql<string>`(resource - 'schemas')::text`.as('resource_text'),
    sql<string | null>`(resource -> 'schemas')::text`.as('schemas_text'),
    sql<boolean>`${q.asStored}`.as('as_stored'),
  ] as const;

/**
 * The account's groups as a correlated subquery on the group_members_account_idx index, ordered as
 * listGroupsOfAccounts orders them: a read answers in one round trip instead of two (issue 14).
 */
const groupsOfRow = sql<GroupRef[]>`coalesce((
    select json_agg(json_build_object('id', g.id, 'displayName', g.display_name) order by g.display_name, g.id)
    from group_members as m join groups as g on g.tenant_id = m.tenant_id and g.id = m.group_id
    where m.tenant_id = accounts.tenant_id and m.account_id = accounts.id), '[]'::json)`;
export const groupsColumn = groupsOfRow.as('groups');

/**
 * groupsColumn for a page of the tenant's accounts: when the tenant has no memberships at all (it provisions no
 * groups) one probe, run once for the statement, spares the lookup per row (a third of a 100-user page's time in
 * PostgreSQL, measured by EXPLAIN ANALYZE for issue 14).
 */
export const pageGroupsColumn = (tenantId: string) =>
  sql<GroupRef[]>`case when exists (select 1 from group_members where tenant_id = ${tenantId}) then ${groupsOfRow} else '[]'::json end`.as('groups');

/** A provisioning-log entry to write with an account change; the target columns come from the changed row. */
export type EntryDraft = Omit<NewProvisioningLogRow, 'tenant_id' | 'target_id' | 'target_user_name' | 'target_external_id'>;

/** `insert into provisioning_log … select … from <cte>`: the entry rides in the same statement as the change. */
const entryFrom = (cte: string, tenantId: string, e: EntryDraft) => sql`
  insert into provisioning_log (tenant_id, occurred_at, client_id, request_id, operation, target_id, target_user_name,
    target_external_id, http_status, outcome, scim_type, detail, changes, duration_ms)
  select ${tenantId}::uuid, cast(${e.occurred_at} as timestamptz), ${e.client_id ?? null}::text, ${e.request_id ?? null}::text,
    ${e.operation}::text, c.id, c.user_name, c.external_id, ${e.http_status}::integer, ${e.outcome}::text,
    ${e.scim_type ?? null}::text, ${e.detail ?? null}::text, cast(${e.changes ?? null} as jsonb), ${e.duration_ms}::integer
  from ${sql.table(cte)} as c`;

/**
 * Inserts an account unless its userName is taken in the tenant (ignoring case); undefined means taken.
 * With an entry, account and entry are one statement (one round trip, atomic); `on conflict do nothing`
 * writes neither when the name is taken, so the caller logs the failure instead.
 */
export async function insertAccount(
  db: Db,
  tenantId: string,
  id: string,
  values: AccountValues,
  now: Date,
  entry?: EntryDraft,
  initialRole?: InitialRole,
): Promise<AccountRecord | undefined> {
  const defaultRole = sql<PortalRoleName>`coalesce((select default_role from tenants where id = ${tenantId}), 'read-only')`;
  const role = initialRole
    ? { role: initialRole.role === 'tenant default' ? defaultRole : initialRole.role, role_cause: JSON.stringify(initialRole.cause) }
    : {};
  const insert = db
    .insertInto('accounts')
    .values({ tenant_id: tenantId, id, ...values, ...role, resource: JSON.stringify(values.resource), version: 1, created_at: now, updated_at: now })
    .onConflict((oc) => oc.expression(sql`tenant_id, lower(user_name)`).doNothing())
    .returning(RECORD_COLUMNS);
  // The tenant's count rides in the same statement (issue 14): counted only when the row was inserted.
  const counted = sql`counted as (${countInserted('inserted', tenantId)})`;
  if (!entry) {
    const result = await sql<AccountRecord>`with inserted as (${insert}), ${counted} select * from inserted${prepared}`.execute(db);
    return result.rows[0];
  }
  const roleEntry = initialRole?.entry ? sql`, role_entry as (${entryFrom('inserted', tenantId, initialRole.entry)})` : sql``;
  const result = await sql<AccountRecord>`with inserted as (${insert}), ${counted}, entry as (${entryFrom('inserted', tenantId, entry)})${roleEntry}
    select * from inserted${prepared}`.execute(db);
  return result.rows[0];
}

export async function findAccountById(db: Db, tenantId: string, id: string): Promise<AccountRecord | undefined> {
  return db.selectFrom('accounts').select(RECORD_COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).modifyEnd(prepared).executeTakeFirst();
}

/** The statement of findAccountWithGroups, for its EXPLAIN test. */
export const accountWithGroupsQuery = (db: Db, tenantId: string, id: string) =>
  db.selectFrom('accounts').select(RECORD_COLUMNS).select(groupsColumn).where('tenant_id', '=', tenantId).where('id', '=', id);

/** The account with its groups, one prepared statement: what GET /Users/{id} and a PATCH's first read need. */
export async function findAccountWithGroups(db: Db, tenantId: string, id: string): Promise<AccountWithGroups | undefined> {
  return accountWithGroupsQuery(db, tenantId, id).modifyEnd(prepared).executeTakeFirst();
}

/** Locks the row until the transaction ends, so concurrent PATCHes apply one after another and none is lost. */
export async function lockAccountById(trx: Transaction<DB>, tenantId: string, id: string): Promise<AccountRecord | undefined> {
  return trx
    .selectFrom('accounts')
    .select(RECORD_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .forUpdate()
    .modifyEnd(prepared)
    .executeTakeFirst();
}

/** True when another account of the tenant already has this userName (ignoring case). */
export async function userNameTaken(db: Db, tenantId: string, userName: string, exceptId: string): Promise<boolean> {
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb(eb.fn('lower', ['user_name']), '=', eb.fn('lower', [eb.val(userName)])))
    .where('id', '<>', exceptId)
    .modifyEnd(prepared)
    .executeTakeFirst();
  return row !== undefined;
}

/** Writes the new state and bumps the version (the ETag); with an entry, both in one statement. */
export async function updateAccount(
  trx: Transaction<DB>,
  tenantId: string,
  id: string,
  values: AccountValues,
  version: number,
  now: Date,
  entry?: EntryDraft,
): Promise<AccountRecord | undefined> {
  const update = trx
    .updateTable('accounts')
    .set({ ...values, resource: JSON.stringify(values.resource), version, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returning(RECORD_COLUMNS);
  if (!entry) return update.modifyEnd(prepared).executeTakeFirst();
  const result = await sql<AccountRecord>`with updated as (${update}), entry as (${entryFrom('updated', tenantId, entry)})
    select * from updated${prepared}`.execute(trx);
  return result.rows[0];
}

/**
 * Writes the new state only if the row still has `expectedVersion` (optimistic concurrency, issue 14), bumping the
 * version, with its entry in the same statement: one round trip and no transaction. Undefined means the row changed
 * or went since it was read; the caller reads again.
 */
export async function updateAccountIfVersion(
  db: Db,
  tenantId: string,
  id: string,
  values: AccountValues,
  expectedVersion: number,
  now: Date,
  entry?: EntryDraft,
): Promise<AccountRecord | undefined> {
  const update = db
    .updateTable('accounts')
    .set({ ...values, resource: JSON.stringify(values.resource), version: expectedVersion + 1, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returning(RECORD_COLUMNS);
  if (!entry) return update.modifyEnd(prepared).executeTakeFirst();
  const result = await sql<AccountRecord>`with updated as (${update}), entry as (${entryFrom('updated', tenantId, entry)})
    select * from updated${prepared}`.execute(db);
  return result.rows[0];
}

/**
 * Writes an entry for an account that is still at `version` (a write that changed nothing, issue 14): false when
 * the row changed or went since it was read, and then no entry is written.
 */
export async function insertEntryIfVersion(db: Db, tenantId: string, id: string, version: number, entry: EntryDraft): Promise<boolean> {
  const current = db.selectFrom('accounts').select(['id', 'user_name', 'external_id']).where('tenant_id', '=', tenantId).where('id', '=', id).where('version', '=', version);
  const result = await sql<{ id: string }>`with current_row as (${current}), entry as (${entryFrom('current_row', tenantId, entry)})
    select id from current_row${prepared}`.execute(db);
  return result.rows.length > 0;
}

/** Deletes the account and uncounts it in the same statement (issue 14); false when there was none. */
export async function deleteAccount(trx: Transaction<DB>, tenantId: string, id: string): Promise<boolean> {
  const del = trx.deleteFrom('accounts').where('tenant_id', '=', tenantId).where('id', '=', id).returning('id');
  const result = await sql<{ id: string }>`with deleted as (${del}), counted as (${countDeleted('deleted', tenantId)})
    select id from deleted${prepared}`.execute(trx);
  return result.rows.length > 0;
}

export type AccountSortColumn = 'user_name' | 'external_id' | 'given_name' | 'family_name' | 'display_name' | 'email' | 'active' | 'created_at' | 'updated_at' | 'id';

export interface AccountListQuery extends ListedQuery {
  /** A condition on `accounts` built by the caller (the SCIM filter); the tenant condition is added here. */
  where: Expression<SqlBool> | undefined;
  sortBy: AccountSortColumn | undefined;
  descending: boolean;
  offset: number;
  limit: number;
}

/**
 * One page of a tenant's accounts in a stable order (sort column, then creation, then id) and the exact total.
 * The page is found by id first, so a deep offset walks the (tenant_id, created_at, id) index without
 * fetching the rows it skips; the count runs beside it, and is skipped when the page itself proves the total.
 */
export async function listAccounts(db: Db, tenantId: string, q: AccountListQuery): Promise<{ rows: ListedAccount[]; total: number }> {
  let base = db.selectFrom('accounts').where('tenant_id', '=', tenantId);
  if (q.where) {
    const where = q.where;
    base = base.where(() => where);
  }
  const direction = q.descending ? 'desc' : 'asc';
  const order = <T extends { orderBy: (c: AccountSortColumn, d: 'asc' | 'desc') => T }>(query: T): T => {
    const sorted = q.sortBy && q.sortBy !== 'created_at' ? query.orderBy(q.sortBy, direction) : query;
    return sorted.orderBy('created_at', direction).orderBy('id', direction);
  };
  const pageIds = order(base.select('id')).offset(q.offset).limit(q.limit);
  // The first page's texts depend only on the filter's shape (values are parameters): prepared per shape (issue 14).
  const page = async (): Promise<ListedAccount[]> => {
    if (q.limit === 0) return [];
    if (q.offset === 0) return order(base.select(listedColumns(q)).select(pageGroupsColumn(tenantId))).limit(q.limit).modifyEnd(preparedShape).execute();
    return order(
      db.selectFrom('accounts').select(listedColumns(q)).select(pageGroupsColumn(tenantId)).where('tenant_id', '=', tenantId).where('id', 'in', pageIds),
    )
      .modifyEnd(preparedShape)
      .execute();
  };
  const count = async (): Promise<number> => {
    // Unfiltered, the tenant's counter row is the total (issue 14): one key read instead of counting every account.
    if (!q.where) return countedAccounts(db, tenantId);
    const counted = await base.select((eb) => eb.fn.countAll<string | number>().as('n')).modifyEnd(preparedShape).executeTakeFirstOrThrow();
    return Number(counted.n);
  };
  if (q.offset === 0) {
    const rows = await page();
    return { rows, total: rows.length < q.limit ? rows.length : await count() };
  }
  const [rows, total] = await Promise.all([page(), count()]);
  return { rows, total };
}

/** Display names of the tenant's accounts with these ids, for manager.displayName: one primary-key query per answer or page. */
export async function findDisplayNames(db: Db, tenantId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('accounts')
    .select(['id', 'display_name'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .where('display_name', 'is not', null)
    .execute();
  return new Map(rows.flatMap((r) => (r.display_name === null ? [] : [[r.id, r.display_name] as const])));
}
