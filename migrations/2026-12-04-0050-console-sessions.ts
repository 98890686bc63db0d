import { sql, type Kysely } from 'kysely';

/**
 * Server-side console sessions (issue 15 item 7): the signed cookie alone could not be taken back, so sign-out,
 * allow-list changes and a disabled tenant did not end a session before its expiry. The cookie now carries a
 * 256-bit session id; only its SHA-256 is stored, so a read of this table opens no session. A service-wide
 * operator's session belongs to no tenant, so the key cannot start with one; it is the id's digest.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('console_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    // Null: a service-wide operator (admin token without tenant, or allow-list tenant `*`).
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('via', 'text', (c) => c.notNull().check(sql`via in ('admin-token', 'oidc')`))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('viewer', 'admin')`))
    .addColumn('admin_token_id', 'uuid', (c) => c.references('admin_tokens.id').onDelete('cascade'))
    // The id_token claims the allow-list mapping reads, mapped again on every request.
    .addColumn('identity_claims', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  // Sign-in deletes a bounded batch of expired sessions; this keeps finding them cheap.
  await sql`create index console_sessions_expires_idx on console_sessions (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('console_sessions').execute();
}
