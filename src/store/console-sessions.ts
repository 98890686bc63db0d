import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface NewConsoleSession {
  idHash: string;
  tenantId: string | null;
  via: 'admin-token' | 'oidc';
  subject: string;
  role: 'viewer' | 'admin';
  adminTokenId: string | null;
  identityClaims: Record<string, unknown> | null;
  createdAt: Date;
  expiresAt: Date;
}

export async function insertConsoleSession(db: Db, s: NewConsoleSession): Promise<void> {
  await db
    .insertInto('console_sessions')
    .values({
      id_hash: s.idHash,
      tenant_id: s.tenantId,
      via: s.via,
      subject: s.subject,
      role: s.role,
      admin_token_id: s.adminTokenId,
      identity_claims: s.identityClaims === null ? null : JSON.stringify(s.identityClaims),
      created_at: s.createdAt,
      last_seen_at: s.createdAt,
      expires_at: s.expiresAt,
    })
    .execute();
}

/** A session with what deciding whether it still stands needs: its admin token and the tenant the browser views. */
export interface ConsoleSessionRecord {
  tenantId: string | null;
  via: 'admin-token' | 'oidc';
  role: 'viewer' | 'admin';
  adminTokenId: string | null;
  identityClaims: Record<string, unknown> | null;
  lastSeenAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  /** Undefined when the session names no admin token; null when it names one that no longer exists. */
  adminToken: { revokedAt: Date | null } | null | undefined;
  /** The tenant asked about (the one the browser views), if it exists. */
  viewedTenant: { id: string; name: string; status: 'active' | 'disabled' } | null;
}

/** One primary-key lookup; the viewed tenant comes from the (signed) cookie, so it is a tenant id we issued. */
export async function findConsoleSession(db: Db, idHash: string, viewedTenantId: string | null): Promise<ConsoleSessionRecord | undefined> {
  const row = await db
    .selectFrom('console_sessions as s')
    .leftJoin('admin_tokens as a', 'a.id', 's.admin_token_id')
    .leftJoin('tenants as t', (join) => (viewedTenantId === null ? join.on(sql<boolean>`false`) : join.on('t.id', '=', viewedTenantId)))
    .select([
      's.tenant_id',
      's.via',
      's.role',
      's.admin_token_id',
      's.identity_claims',
      's.last_seen_at',
      's.expires_at',
      's.revoked_at',
      'a.id as token_id',
      'a.revoked_at as token_revoked_at',
      't.id as viewed_id',
      't.name as viewed_name',
      't.status as viewed_status',
    ])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    tenantId: row.tenant_id,
    via: row.via,
    role: row.role,
    adminTokenId: row.admin_token_id,
    identityClaims: row.identity_claims,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    adminToken: row.admin_token_id === null ? undefined : row.token_id === null ? null : { revokedAt: row.token_revoked_at },
    viewedTenant:
      row.viewed_id !== null && row.viewed_name !== null && row.viewed_status !== null
        ? { id: row.viewed_id, name: row.viewed_name, status: row.viewed_status }
        : null,
  };
}

export async function touchConsoleSession(db: Db, idHash: string, at: Date): Promise<void> {
  await db.updateTable('console_sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
}

export async function revokeConsoleSession(db: Db, idHash: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('console_sessions')
    .set({ revoked_at: at })
    .where('id_hash', '=', idHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Every live session bound to the tenant (service-wide operators' sessions belong to none). */
export async function revokeTenantConsoleSessions(db: Db, tenantId: string, at: Date): Promise<number> {
  const result = await db
    .updateTable('console_sessions')
    .set({ revoked_at: at })
    .where('tenant_id', '=', tenantId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Deletes at most `limit` sessions that expired before `before`; a revoked session goes once it has expired too. */
export async function deleteExpiredConsoleSessions(db: Db, before: Date, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('console_sessions')
    .where('id_hash', 'in', (eb) => eb.selectFrom('console_sessions').select('id_hash').where('expires_at', '<', before).limit(limit))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
