import type { Kysely } from 'kysely';
import type { DB, Tenant } from '../store/tables.js';
import { findTenantById, findTenantByName, listTenants } from '../store/tenants.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant named in configuration or a claim: by id, else by name (ignoring case). Disabled tenants count as none. */
export async function resolveTenantRef(db: Kysely<DB>, ref: string): Promise<Tenant | undefined> {
  const tenant = UUID.test(ref) ? await findTenantById(db, ref) : await findTenantByName(db, ref);
  return tenant?.status === 'active' ? tenant : undefined;
}

export async function tenantById(db: Kysely<DB>, id: string): Promise<Tenant | undefined> {
  return UUID.test(id) ? findTenantById(db, id) : undefined;
}

/** For a service-wide operator's tenant picker. */
export async function allTenants(db: Kysely<DB>): Promise<Tenant[]> {
  return listTenants(db);
}
