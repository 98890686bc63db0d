import { sql, type Kysely } from 'kysely';

/**
 * Operators' admin tokens, apart from SCIM credentials. A null tenant is a service-wide admin, so this table's
 * key cannot start with the tenant; lookups go by token id (carried in the token) and then a constant-time
 * hash compare.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('admin_tokens')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('label', 'text')
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('viewer', 'admin')`))
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await sql`create index admin_tokens_tenant_idx on admin_tokens (tenant_id, created_at)`.execute(db);
  // Service-wide admins list and export across tenants, and the retention purge cuts by age alone: without this
  // each of those sorts or scans the whole log.
  await sql`create index provisioning_log_occurred_idx on provisioning_log (occurred_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists provisioning_log_occurred_idx`.execute(db);
  await db.schema.dropTable('admin_tokens').execute();
}
