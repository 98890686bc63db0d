import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any> on purpose: they describe the schema at their own point in time, not today's types.
export async function up(db: Kysely<any>): Promise<void> {
  // The N-able portal's clients: created by hand, by other integrations, or from N-central customers/sites.
  await db.schema
    .createTable('portal_clients')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('portal_clients_pkey', ['tenant_id', 'id'])
    .execute();
  await sql`create index portal_clients_name_idx on portal_clients (tenant_id, lower(btrim(name)))`.execute(db);
  await sql`create unique index portal_clients_external_key on portal_clients (tenant_id, source, external_id) where external_id is not null`.execute(db);

  // Assets of portal clients. N-central's are keyed by (source 'ncentral', external_id = deviceId).
  await db.schema
    .createTable('assets')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('portal_client_id', 'uuid', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('serial_number', 'text')
    .addColumn('mac_addresses', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('model', 'text')
    .addColumn('manufacturer', 'text')
    .addColumn('os_name', 'text')
    .addColumn('device_class', 'text')
    .addColumn('removed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('assets_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('assets_client_fkey', ['tenant_id', 'portal_client_id'], 'portal_clients', ['tenant_id', 'id'])
    .execute();
  await sql`create unique index assets_external_key on assets (tenant_id, source, external_id)`.execute(db);
  await sql`create index assets_serial_idx on assets (tenant_id, serial_number) where serial_number is not null`.execute(db);
  await sql`create index assets_client_name_idx on assets (tenant_id, portal_client_id, lower(btrim(name)))`.execute(db);

  // One N-central server per tenant. The User-API token is sealed (AES-256-GCM under ENCRYPTION_KEY), never clear.
  await db.schema
    .createTable('ncentral_connections')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('token_sealed', 'text', (c) => c.notNull())
    .addColumn('ca_pem', 'text')
    .addColumn('device_sync', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('assets_under_parent', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('ignore_sync_requirements', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('sync_time', 'text', (c) => c.notNull().defaultTo('20:00'))
    .addColumn('ncentral_version', 'text')
    .addColumn('verified_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // N-central customers and sites (one id space, section 1 of ncentral-api.md) with the matching decision.
  await db.schema
    .createTable('ncentral_org_units')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('org_unit_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('customer', 'site')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().defaultTo('unmatched').check(sql`state in ('unmatched', 'matched', 'to_create', 'excluded')`),
    )
    .addColumn('portal_client_id', 'uuid')
    .addColumn('note', 'text')
    .addColumn('gone_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('ncentral_org_units_pkey', ['tenant_id', 'org_unit_id'])
    .execute();
  await sql`create index ncentral_org_units_kind_idx on ncentral_org_units (tenant_id, kind, lower(btrim(name)))`.execute(db);

  // What the last passes saw of each device: the diff baseline, and which asset it feeds (created or linked).
  await db.schema
    .createTable('ncentral_devices')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'uuid', (c) => c.notNull())
    .addColumn('linked', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('portal_client_id', 'uuid', (c) => c.notNull())
    .addColumn('removed_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('ncentral_devices_pkey', ['tenant_id', 'device_id'])
    .execute();

  await db.schema
    .createTable('ncentral_sync_runs')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('finish', 'scheduled', 'manual')`))
    // A scheduler job delivered twice (at-least-once) carries the same key: the second delivery is a no-op.
    .addColumn('job_key', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed')`))
    .addColumn('phase', 'text', (c) => c.notNull().defaultTo('starting'))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('linked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('removed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('clients_created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('devices_seen', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('devices_total', 'integer')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('ncentral_sync_runs_pkey', ['tenant_id', 'id'])
    .execute();
  // Two runs for one tenant never overlap: at most one 'running' row per tenant.
  await sql`create unique index ncentral_sync_runs_running_key on ncentral_sync_runs (tenant_id) where status = 'running'`.execute(db);
  await sql`create unique index ncentral_sync_runs_job_key on ncentral_sync_runs (tenant_id, job_key) where job_key is not null and status = 'succeeded'`.execute(db);
  await sql`create index ncentral_sync_runs_started_idx on ncentral_sync_runs (tenant_id, started_at desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ncentral_sync_runs').execute();
  await db.schema.dropTable('ncentral_devices').execute();
  await db.schema.dropTable('ncentral_org_units').execute();
  await db.schema.dropTable('ncentral_connections').execute();
  await db.schema.dropTable('assets').execute();
  await db.schema.dropTable('portal_clients').execute();
}
