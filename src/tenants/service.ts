import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { revokeTenantConsoleSessions } from '../store/console-sessions.js';
import { findTenantById, findTenantByName, insertTenant, listTenants, setTenantStatus } from '../store/tenants.js';
import type { DB, Tenant } from '../store/tables.js';

interface TenantDeps {
  db: Kysely<DB>;
  clock: Clock;
}

/** A request an operator can fix (unknown tenant, name taken): the CLI prints it and exits 1. */
export class TenantError extends Error {
  override name = 'TenantError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function createTenant(deps: TenantDeps, name: string): Promise<Tenant> {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 200) throw new TenantError('a tenant name must be 1 to 200 characters');
  if (UUID.test(trimmed)) throw new TenantError('a tenant name must not look like a tenant id');
  if (await findTenantByName(deps.db, trimmed)) throw new TenantError(`a tenant named "${trimmed}" already exists`);
  try {
    return await insertTenant(deps.db, { id: randomUUID(), name: trimmed, createdAt: deps.clock.now() });
  } catch (err) {
    // Two creations racing on one name: the unique index on lower(name) refuses the second.
    if ((err as { code?: string }).code === '23505') throw new TenantError(`a tenant named "${trimmed}" already exists`);
    throw err;
  }
}

/** `--tenant` takes an id or a name (names are unique ignoring case). */
export async function resolveTenant(deps: Pick<TenantDeps, 'db'>, idOrName: string): Promise<Tenant> {
  const tenant = UUID.test(idOrName) ? await findTenantById(deps.db, idOrName.toLowerCase()) : await findTenantByName(deps.db, idOrName.trim());
  if (!tenant) throw new TenantError(`no tenant with id or name "${idOrName}" (see \`tenant list\`)`);
  return tenant;
}

export async function allTenants(deps: Pick<TenantDeps, 'db'>): Promise<Tenant[]> {
  return listTenants(deps.db);
}

/**
 * A disabled tenant's clients get no tokens and its existing tokens stop working within CREDENTIAL_RECHECK_SECONDS;
 * its admin tokens are refused at once and its console sessions are revoked, so enabling it again does not bring
 * back a session someone may have copied meanwhile.
 */
export async function setTenantEnabled(deps: Pick<TenantDeps, 'db' | 'clock'>, idOrName: string, enabled: boolean): Promise<Tenant> {
  const tenant = await resolveTenant(deps, idOrName);
  await deps.db.transaction().execute(async (trx) => {
    await setTenantStatus(trx, tenant.id, enabled ? 'active' : 'disabled');
    if (!enabled) await revokeTenantConsoleSessions(trx, tenant.id, deps.clock.now());
  });
  return { ...tenant, status: enabled ? 'active' : 'disabled' };
}
