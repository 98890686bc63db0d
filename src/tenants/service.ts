import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { revokeTenantConsoleSessions } from '../store/console-sessions.js';
import { findTenantById, findTenantByName, insertTenant, listTenants, setTenantName, setTenantStatus, TenantNameTaken } from '../store/tenants.js';
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

/** A name as stored: trimmed, 1 to 200 characters, not shaped like an id (`--tenant` takes either). */
function tenantName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 200) throw new TenantError('a tenant name must be 1 to 200 characters');
  if (UUID.test(trimmed)) throw new TenantError('a tenant name must not look like a tenant id');
  return trimmed;
}

/** The store's named error, said in the operator's words. */
async function nameFree<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof TenantNameTaken) throw new TenantError(err.message);
    throw err;
  }
}

export async function createTenant(deps: TenantDeps, name: string): Promise<Tenant> {
  const trimmed = tenantName(name);
  if (await findTenantByName(deps.db, trimmed)) throw new TenantError(`a tenant named "${trimmed}" already exists`);
  return nameFree(insertTenant(deps.db, { id: randomUUID(), name: trimmed, createdAt: deps.clock.now() }));
}

/** Names are what operators and OIDC tenant claims use; the id (in Entra's Tenant URL) never changes. */
export async function renameTenant(deps: Pick<TenantDeps, 'db'>, idOrName: string, name: string): Promise<Tenant> {
  const tenant = await resolveTenant(deps, idOrName);
  const trimmed = tenantName(name);
  const renamed = await nameFree(setTenantName(deps.db, tenant.id, trimmed));
  if (!renamed) throw new TenantError(`no tenant with id or name "${idOrName}" (see \`tenant list\`)`);
  return renamed;
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
