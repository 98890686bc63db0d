import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { SERVICE_WIDE, type AuditActor } from '../audit/audit-entry.js';
import type { Clock } from '../clock.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import type { AdminPrincipal } from '../http/principal.js';
import {
  findAdminTokenById,
  insertAdminToken,
  listAdminTokens,
  revokeAdminToken,
  touchAdminToken,
} from '../store/admin-tokens.js';
import type { DB } from '../store/tables.js';
import { inTransaction } from '../store/transaction.js';
import { findTenantById, findTenantByName } from '../store/tenants.js';
import { newAdminTokenText, parseAdminToken, adminTokenHasher, type SecretHasher } from './token-secret.js';

interface TokenDeps {
  db: Kysely<DB>;
  clock: Clock;
  hasher?: SecretHasher;
}

export class UnknownTenantError extends Error {
  override name = 'UnknownTenantError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant named by id or by name (CLI input); throws UnknownTenantError. */
export async function resolveTenant(db: Kysely<DB>, idOrName: string): Promise<{ id: string; name: string }> {
  const tenant = UUID.test(idOrName) ? await findTenantById(db, idOrName) : await findTenantByName(db, idOrName);
  if (!tenant) throw new UnknownTenantError(`no tenant "${idOrName}"`);
  return { id: tenant.id, name: tenant.name };
}

export interface CreatedAdminToken {
  id: string;
  /** Shown once; only its hash is kept. */
  token: string;
  tenantId: string | null;
  role: 'viewer' | 'admin';
}

export async function createAdminToken(
  deps: TokenDeps,
  input: { tenant?: string | undefined; role?: 'viewer' | 'admin'; label?: string | undefined },
  actor: AuditActor,
): Promise<CreatedAdminToken> {
  let tenantId: string | null;
  try {
    tenantId = input.tenant === undefined ? null : (await resolveTenant(deps.db, input.tenant)).id;
  } catch (err) {
    if (err instanceof UnknownTenantError && !deps.db.isTransaction) {
      await appendAuditEntry(deps.db, { tenantId: SERVICE_WIDE, actor, action: 'admin_token.create', outcome: 'failure', detail: { reason: err.message }, occurredAt: deps.clock.now() });
    }
    throw err;
  }
  const id = randomUUID();
  const { token, secret } = newAdminTokenText(id);
  const role = input.role ?? 'admin';
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    await insertAdminToken(trx, { id, tenantId, label: input.label ?? null, role, tokenHash: (deps.hasher ?? adminTokenHasher).hash(secret), createdAt: now });
    // A tenant's admin token joins that tenant's chain, a service-wide one the service's (issue 19).
    await appendAuditEntry(trx, {
      tenantId: tenantId ?? SERVICE_WIDE,
      actor,
      action: 'admin_token.create',
      target: { type: 'admin_token', id },
      outcome: 'success',
      changes: { role: { old: null, new: role }, label: { old: null, new: input.label ?? null } },
      occurredAt: now,
    });
  });
  return { id, token, tenantId, role };
}

/** The principal a presented admin token stands for, or undefined when it is unknown, wrong, revoked or its tenant disabled. */
export async function authenticateAdminToken(deps: TokenDeps, token: string): Promise<AdminPrincipal | undefined> {
  const parsed = parseAdminToken(token);
  if (!parsed) return undefined;
  const row = await findAdminTokenById(deps.db, parsed.id);
  if (!row || !(deps.hasher ?? adminTokenHasher).verify(parsed.secret, row.token_hash)) return undefined;
  if (row.revoked_at !== null && row.revoked_at <= deps.clock.now()) return undefined;
  // A disabled tenant's operators are locked out with its SCIM clients (issue 15 item 7).
  if (row.tenant_id !== null && row.tenant_status !== 'active') return undefined;
  await touchAdminToken(deps.db, row.id, deps.clock.now(), 60_000);
  return { kind: 'admin', tenantId: row.tenant_id, subject: `admin-token:${row.id}`, role: row.role };
}

export async function listTokens(deps: TokenDeps, tenant: string | undefined) {
  const tenantId = tenant === undefined ? undefined : (await resolveTenant(deps.db, tenant)).id;
  return listAdminTokens(deps.db, tenantId);
}

export async function revokeToken(deps: TokenDeps, id: string, actor: AuditActor): Promise<boolean> {
  const now = deps.clock.now();
  const row = UUID.test(id) ? await findAdminTokenById(deps.db, id.toLowerCase()) : undefined;
  if (!row || row.revoked_at !== null) {
    // Only an id-shaped value is recorded: a token pasted in place of its id must not be kept.
    await appendAuditEntry(deps.db, {
      tenantId: row?.tenant_id ?? SERVICE_WIDE,
      actor,
      action: 'admin_token.revoke',
      target: { type: 'admin_token', id: UUID.test(id) ? id.toLowerCase() : '(not an id)' },
      outcome: 'failure',
      detail: { reason: row ? 'already revoked' : 'no such admin token' },
      occurredAt: now,
    });
    return false;
  }
  return deps.db.transaction().execute(async (trx) => {
    if (!(await revokeAdminToken(trx, row.id, now))) return false;
    await appendAuditEntry(trx, {
      tenantId: row.tenant_id ?? SERVICE_WIDE,
      actor,
      action: 'admin_token.revoke',
      target: { type: 'admin_token', id: row.id },
      outcome: 'success',
      changes: { revoked: { old: false, new: true } },
      occurredAt: now,
    });
    return true;
  });
}
