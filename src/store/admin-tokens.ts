import type { Kysely, Transaction } from 'kysely';
import type { AdminToken, DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface NewAdminToken {
  id: string;
  tenantId: string | null;
  label: string | null;
  role: 'viewer' | 'admin';
  tokenHash: string;
  createdAt: Date;
}

export async function insertAdminToken(db: Db, token: NewAdminToken): Promise<AdminToken> {
  return db
    .insertInto('admin_tokens')
    .values({
      id: token.id,
      tenant_id: token.tenantId,
      label: token.label,
      role: token.role,
      token_hash: token.tokenHash,
      created_at: token.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The token with its tenant's status (null for a service-wide token), so a disabled tenant's tokens can be refused. */
export async function findAdminTokenById(
  db: Db,
  id: string,
): Promise<(AdminToken & { tenant_status: 'active' | 'disabled' | null }) | undefined> {
  return db
    .selectFrom('admin_tokens')
    .leftJoin('tenants', 'tenants.id', 'admin_tokens.tenant_id')
    .selectAll('admin_tokens')
    .select('tenants.status as tenant_status')
    .where('admin_tokens.id', '=', id)
    .executeTakeFirst();
}

/** Tokens of one tenant, or (tenantId undefined) all of them; the hash is never selected. */
export async function listAdminTokens(
  db: Db,
  tenantId: string | undefined,
): Promise<Omit<AdminToken, 'token_hash'>[]> {
  let query = db
    .selectFrom('admin_tokens')
    .select(['id', 'tenant_id', 'label', 'role', 'created_at', 'last_used_at', 'revoked_at']);
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  return query.orderBy('created_at').orderBy('id').execute();
}

export async function revokeAdminToken(db: Db, id: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('admin_tokens')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records use at most once per `granularityMs`, so a busy admin client does not write on every request. */
export async function touchAdminToken(db: Db, id: string, at: Date, granularityMs: number): Promise<void> {
  const before = new Date(at.getTime() - granularityMs);
  await db
    .updateTable('admin_tokens')
    .set({ last_used_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', before)]))
    .execute();
}
