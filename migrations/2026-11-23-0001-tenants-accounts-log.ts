import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any> on purpose: they describe the schema at their own point in time, not today's types.
export async function up(db: Kysely<any>): Promise<void> {

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'disabled')`))
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create unique index tenants_name_key on tenants (lower(name))`.execute(db);

  // One row per provisioned user: the N-able portal account, with the SCIM resource kept whole in `resource`.
  await db.schema
    .createTable('accounts')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('given_name', 'text', (c) => c.notNull())
    .addColumn('family_name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('email', 'text')
    .addColumn('active', 'boolean', (c) => c.notNull())
    .addColumn('resource', 'jsonb', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('accounts_pkey', ['tenant_id', 'id'])
    .execute();
  // userName is unique per tenant ignoring case (RFC 7643 §4.1.1 caseExact=false); Entra looks users up by it.
  await sql`create unique index accounts_user_name_key on accounts (tenant_id, lower(user_name))`.execute(db);
  await sql`create index accounts_external_id_idx on accounts (tenant_id, external_id)`.execute(db);
  await sql`create index accounts_created_idx on accounts (tenant_id, created_at, id)`.execute(db);

  await db.schema
    .createTable('provisioning_log')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('request_id', 'text')
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('target_id', 'uuid')
    .addColumn('target_user_name', 'text')
    .addColumn('target_external_id', 'text')
    .addColumn('http_status', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('success', 'failure')`))
    .addColumn('scim_type', 'text')
    .addColumn('detail', 'text')
    .addColumn('changes', 'jsonb')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('provisioning_log_pkey', ['tenant_id', 'id'])
    .execute();
  await sql`create index provisioning_log_time_idx on provisioning_log (tenant_id, occurred_at desc, id desc)`.execute(db);
  await sql`create index provisioning_log_user_name_idx on provisioning_log (tenant_id, lower(target_user_name))`.execute(db);
  await sql`create index provisioning_log_external_id_idx on provisioning_log (tenant_id, target_external_id)`.execute(db);
  await sql`create index provisioning_log_target_idx on provisioning_log (tenant_id, target_id)`.execute(db);
  await sql`create index provisioning_log_request_idx on provisioning_log (tenant_id, request_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('provisioning_log').execute();
  await db.schema.dropTable('accounts').execute();
  await db.schema.dropTable('tenants').execute();
}
