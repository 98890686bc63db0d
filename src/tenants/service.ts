import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditActor } from '../audit/audit-entry.js';
import { recordRefusal } from '../audit/audit-service.js';
import { fieldChanges } from '../audit/changes.js';
import type { Clock } from '../clock.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import { revokeTenantConsoleSessions } from '../store/console-sessions.js';
import { findTenantById, findTenantByName, insertTenant, listTenants, setTenantName, setTenantStatus, TenantNameTaken } from '../store/tenants.js';
import type { DB, Tenant } from '../store/tables.js';
import { inTransaction } from '../store/transaction.js';
import { SERVICE_WIDE } from '../audit/audit-entry.js';

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

/** Tenant fields an audit entry may show (all of them: a tenant holds no secret). */
const AUDITED_FIELDS = ['name', 'status'] as const;
const isTenantError = (err: unknown): boolean => err instanceof TenantError;

/** Every tenant action is recorded in the tenant's own chain (issue 19); an unknown tenant's in the service's. */
export async function createTenant(deps: TenantDeps, name: string, actor: AuditActor): Promise<Tenant> {
  try {
    const trimmed = tenantName(name);
    if (await findTenantByName(deps.db, trimmed)) throw new TenantError(`a tenant named "${trimmed}" already exists`);
    return await inTransaction(deps.db, async (trx) => {
      const tenant = await nameFree(insertTenant(trx, { id: randomUUID(), name: trimmed, createdAt: deps.clock.now() }));
      await appendAuditEntry(trx, {
        tenantId: tenant.id,
        actor,
        action: 'tenant.create',
        target: { type: 'tenant', id: tenant.id },
        outcome: 'success',
        changes: fieldChanges(null, tenant, AUDITED_FIELDS),
        occurredAt: deps.clock.now(),
      });
      return tenant;
    });
  } catch (err) {
    return recordRefusal(deps.db, err, isTenantError, { tenantId: SERVICE_WIDE, actor, action: 'tenant.create', detail: { name: name.slice(0, 200) } });
  }
}

/** Names are what operators and OIDC tenant claims use; the id (in Entra's Tenant URL) never changes. */
export async function renameTenant(deps: TenantDeps, idOrName: string, name: string, actor: AuditActor): Promise<Tenant> {
  const tenant = await resolveOrRecord(deps, idOrName, actor, 'tenant.rename');
  try {
    const trimmed = tenantName(name);
    return await inTransaction(deps.db, async (trx) => {
      const renamed = await nameFree(setTenantName(trx, tenant.id, trimmed));
      if (!renamed) throw new TenantError(`no tenant with id or name "${idOrName}" (see \`tenant list\`)`);
      await appendAuditEntry(trx, {
        tenantId: tenant.id,
        actor,
        action: 'tenant.rename',
        target: { type: 'tenant', id: tenant.id },
        outcome: 'success',
        changes: fieldChanges(tenant, renamed, AUDITED_FIELDS),
        occurredAt: deps.clock.now(),
      });
      return renamed;
    });
  } catch (err) {
    return recordRefusal(deps.db, err, isTenantError, { tenantId: tenant.id, actor, action: 'tenant.rename', target: { type: 'tenant', id: tenant.id } });
  }
}

/** resolveTenant for a change: an unknown tenant is a refused action, recorded in the service-wide chain. */
async function resolveOrRecord(deps: TenantDeps, idOrName: string, actor: AuditActor, action: string): Promise<Tenant> {
  try {
    return await resolveTenant(deps, idOrName);
  } catch (err) {
    return recordRefusal(deps.db, err, isTenantError, { tenantId: SERVICE_WIDE, actor, action, detail: { tenant: idOrName.slice(0, 200) } });
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
export async function setTenantEnabled(deps: TenantDeps, idOrName: string, enabled: boolean, actor: AuditActor): Promise<Tenant> {
  const action = enabled ? 'tenant.enable' : 'tenant.disable';
  const tenant = await resolveOrRecord(deps, idOrName, actor, action);
  const after: Tenant = { ...tenant, status: enabled ? 'active' : 'disabled' };
  await inTransaction(deps.db, async (trx) => {
    await setTenantStatus(trx, tenant.id, after.status);
    if (!enabled) await revokeTenantConsoleSessions(trx, tenant.id, deps.clock.now());
    await appendAuditEntry(trx, {
      tenantId: tenant.id,
      actor,
      action,
      target: { type: 'tenant', id: tenant.id },
      outcome: 'success',
      changes: fieldChanges(tenant, after, AUDITED_FIELDS),
      occurredAt: deps.clock.now(),
    });
  });
  return after;
}
