import type { Kysely, Transaction } from 'kysely';
import type { DB, Tenant } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export async function insertTenant(db: Db, tenant: { id: string; name: string; createdAt: Date; timeZone?: string }): Promise<Tenant> {
  return db
    .insertInto('tenants')
    .values({ id: tenant.id, name: tenant.name, created_at: tenant.createdAt, time_zone: tenant.timeZone ?? 'UTC' })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findTenantById(db: Db, id: string): Promise<Tenant | undefined> {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Tenants are named uniquely ignoring case, so `tenant create` refuses a near-duplicate. */
export async function findTenantByName(db: Db, name: string): Promise<Tenant | undefined> {
  return db
    .selectFrom('tenants')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .executeTakeFirst();
}

export async function listTenants(db: Db): Promise<Tenant[]> {
  return db.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function setTenantStatus(db: Db, id: string, status: 'active' | 'disabled'): Promise<boolean> {
  const result = await db.updateTable('tenants').set({ status }).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
