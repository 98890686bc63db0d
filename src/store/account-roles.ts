import { sql, type Transaction } from 'kysely';
import type { DB, NewProvisioningLogRow, PortalRoleName } from './tables.js';

/** What recomputing an account's role reads: its stored `roles` (app roles) and the role it has now. */
export interface AccountRoleState {
  id: string;
  user_name: string;
  external_id: string | null;
  resource: Record<string, unknown>;
  role: PortalRoleName;
  role_cause: Record<string, unknown> | null;
}

/** A group as role rules see it. */
export interface AccountGroup {
  id: string;
  displayName: string;
  externalId: string | null;
}

const uuidArray = (ids: readonly string[]) => sql`cast(${[...ids]} as uuid[])`;

/**
 * Locks these accounts (in id order, so two transactions touching the same accounts never deadlock) and reads
 * their role state: a change that commits meanwhile is waited for, so the role is computed from committed data.
 */
export async function lockAccountRoles(trx: Transaction<DB>, tenantId: string, ids: readonly string[]): Promise<AccountRoleState[]> {
  if (ids.length === 0) return [];
  return trx
    .selectFrom('accounts')
    .select(['id', 'user_name', 'external_id', 'resource', 'role', 'role_cause'])
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`id = any(${uuidArray(ids)})`)
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** The groups (with externalId, which rules may match) of several accounts, one query. */
export async function groupsOfAccounts(trx: Transaction<DB>, tenantId: string, ids: readonly string[]): Promise<Map<string, AccountGroup[]>> {
  const out = new Map<string, AccountGroup[]>();
  if (ids.length === 0) return out;
  const rows = await trx
    .selectFrom('group_members as m')
    .innerJoin('groups as g', (j) => j.onRef('g.tenant_id', '=', 'm.tenant_id').onRef('g.id', '=', 'm.group_id'))
    .select(['m.account_id', 'g.id', 'g.display_name', 'g.external_id'])
    .where('m.tenant_id', '=', tenantId)
    .where(sql<boolean>`m.account_id = any(${uuidArray(ids)})`)
    .execute();
  for (const r of rows) {
    const list = out.get(r.account_id) ?? [];
    list.push({ id: r.id, displayName: r.display_name, externalId: r.external_id });
    out.set(r.account_id, list);
  }
  return out;
}

export interface RoleWrite {
  id: string;
  role: PortalRoleName;
  cause: Record<string, unknown>;
  /** True to bump the version (the ETag): false when only the cause changed, or the caller bumped it already. */
  roleChanged: boolean;
}

/**
 * Writes new roles (one statement for the lot) and their provisioning-log entries (one more), in the caller's
 * transaction. A changed role bumps the account's version: the SCIM representation (its ETag) changed.
 */
export async function writeAccountRoles(
  trx: Transaction<DB>,
  tenantId: string,
  writes: readonly RoleWrite[],
  now: Date,
  entries: readonly Omit<NewProvisioningLogRow, 'tenant_id'>[],
): Promise<void> {
  if (writes.length > 0) {
    const values = sql.join(writes.map((w) => sql`(${w.id}::uuid, ${w.role}::text, ${JSON.stringify(w.cause)}::jsonb, ${w.roleChanged}::boolean)`));
    await sql`
      update accounts as a set role = v.role, role_cause = v.cause,
        version = a.version + case when v.changed then 1 else 0 end,
        updated_at = case when v.changed then cast(${now} as timestamptz) else a.updated_at end
      from (values ${values}) as v(id, role, cause, changed)
      where a.tenant_id = ${tenantId}::uuid and a.id = v.id`.execute(trx);
  }
  if (entries.length > 0) await trx.insertInto('provisioning_log').values(entries.map((e) => ({ ...e, tenant_id: tenantId }))).execute();
}
