import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, PortalRoleName, RoleRuleRow } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

const PG_FOREIGN_KEY_VIOLATION = '23503';

/** A rule for this group name already exists in the tenant (role_rules_match_key). */
export class RoleRuleTaken extends Error {
  override name = 'RoleRuleTaken';
}

/** The tenant named does not exist (role_rules.tenant_id references tenants). */
export class RoleRuleTenantMissing extends Error {
  override name = 'RoleRuleTenantMissing';
}

/** The tenant's rules, oldest first (the order ties are broken by, src/roles/effective-role.ts). */
export async function listRoleRules(db: Db, tenantId: string): Promise<RoleRuleRow[]> {
  return db.selectFrom('role_rules').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
}

export async function findRoleRule(db: Db, tenantId: string, id: string): Promise<RoleRuleRow | undefined> {
  return db.selectFrom('role_rules').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** Inserts a rule; throws RoleRuleTaken when the tenant already has a rule for that group name (ignoring case). */
export async function insertRoleRule(trx: Transaction<DB>, rule: Omit<RoleRuleRow, 'created_at'> & { created_at: Date }): Promise<RoleRuleRow> {
  // `on conflict do nothing`: a taken name writes nothing and leaves the caller's transaction usable.
  let inserted: RoleRuleRow | undefined;
  try {
    inserted = await trx
      .insertInto('role_rules')
      .values(rule)
      .onConflict((oc) => oc.expression(sql`tenant_id, match_by, lower(match_value)`).doNothing())
      .returningAll()
      .executeTakeFirst();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === PG_FOREIGN_KEY_VIOLATION) throw new RoleRuleTenantMissing('The tenant does not exist.');
    throw err;
  }
  if (!inserted) throw new RoleRuleTaken(`A rule for ${rule.match_by} "${rule.match_value}" already exists.`);
  return inserted;
}

/** Deletes a rule; returns it, or undefined when the tenant has no such rule. */
export async function deleteRoleRule(trx: Transaction<DB>, tenantId: string, id: string): Promise<RoleRuleRow | undefined> {
  return trx.deleteFrom('role_rules').where('tenant_id', '=', tenantId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function findDefaultRole(db: Db, tenantId: string): Promise<PortalRoleName | undefined> {
  const row = await db.selectFrom('tenants').select('default_role').where('id', '=', tenantId).executeTakeFirst();
  return row?.default_role;
}

/** Sets the tenant's default role, locking the tenant row so two changes apply one after the other. */
export async function setDefaultRole(trx: Transaction<DB>, tenantId: string, role: PortalRoleName): Promise<{ old: PortalRoleName } | undefined> {
  const before = await trx.selectFrom('tenants').select('default_role').where('id', '=', tenantId).forUpdate().executeTakeFirst();
  if (!before) return undefined;
  await trx.updateTable('tenants').set({ default_role: role }).where('id', '=', tenantId).execute();
  return { old: before.default_role };
}

/** The accounts in a group this rule names (displayName or externalId, ignoring case). */
export async function accountsInGroupsNamed(db: Db, tenantId: string, matchBy: RoleRuleRow['match_by'], value: string): Promise<string[]> {
  const column = matchBy === 'displayName' ? 'g.display_name' : 'g.external_id';
  const rows = await db
    .selectFrom('group_members as m')
    .innerJoin('groups as g', (j) => j.onRef('g.tenant_id', '=', 'm.tenant_id').onRef('g.id', '=', 'm.group_id'))
    .select('m.account_id')
    .distinct()
    .where('m.tenant_id', '=', tenantId)
    .where(sql`lower(${sql.ref(column)})`, '=', value.toLowerCase())
    .execute();
  return rows.map((r) => r.account_id);
}

/** One page of the tenant's account ids after `after` (keyset), for recomputing every account's role. */
export async function accountIdsPage(db: Db, tenantId: string, after: string | undefined, limit: number): Promise<string[]> {
  let q = db.selectFrom('accounts').select('id').where('tenant_id', '=', tenantId);
  if (after !== undefined) q = q.where('id', '>', after);
  return (await q.orderBy('id').limit(limit).execute()).map((r) => r.id);
}
