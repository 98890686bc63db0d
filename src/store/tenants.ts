import type { Kysely, Transaction } from 'kysely';
import type { DB, Tenant } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/** Two writes racing on one name: the unique index on lower(name) refused the second. */
export class TenantNameTaken extends Error {
  override name = 'TenantNameTaken';
  constructor(readonly tenantName: string) {
    super(`a tenant named "${tenantName}" already exists`);
  }
}

const UNIQUE_VIOLATION = '23505';

async function orNameTaken<T>(name: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new TenantNameTaken(name);
    throw err;
  }
}

export async function insertTenant(db: Db, tenant: { id: string; name: string; createdAt: Date; timeZone?: string }): Promise<Tenant> {
  return orNameTaken(
    tenant.name,
    db
      .insertInto('tenants')
      .values({ id: tenant.id, name: tenant.name, created_at: tenant.createdAt, time_zone: tenant.timeZone ?? 'UTC' })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

/** Renames a tenant; throws TenantNameTaken when another tenant has the name (ignoring case). */
export async function setTenantName(db: Db, id: string, name: string): Promise<Tenant | undefined> {
  return orNameTaken(name, db.updateTable('tenants').set({ name }).where('id', '=', id).returningAll().executeTakeFirst());
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
