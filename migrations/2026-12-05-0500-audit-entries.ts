import { sql, type Kysely } from 'kysely';

/**
 * The audit trail (issue 19): one row per administrative action, chained per tenant by hash so a quiet edit shows
 * (src/audit/chain.ts). Keyed (tenant_id, seq) so Citus can distribute it by tenant_id; service-wide actions use
 * the reserved tenant id 00000000-0000-0000-0000-000000000000. No foreign key to tenants: entries outlive what
 * they describe. `id` has a database default, but the writer sets it itself because the hash covers it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_entries')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull().check(sql`seq >= 1`))
    .addColumn('id', 'uuid', (c) => c.notNull().defaultTo(sql`gen_random_uuid()`))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_label', 'text')
    .addColumn('source_ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('success', 'failure', 'refused')`))
    .addColumn('changes', 'jsonb')
    .addColumn('detail', 'jsonb')
    .addColumn('prev_hash', 'text')
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_entries_pkey', ['tenant_id', 'seq'])
    .addUniqueConstraint('audit_entries_id_key', ['tenant_id', 'id'])
    .execute();
  await sql`create index audit_entries_read on audit_entries (tenant_id, occurred_at desc, seq desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_entries').execute();
}
