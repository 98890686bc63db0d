import { sql, type Kysely } from 'kysely';

/**
 * Issue 13: the synced data gets an admin API and a history of what each sync changed.
 * - `assets`: what N-central says of an asset it feeds (customer, site, last check-in), and `mac_search`, the MAC
 *   addresses as 12 lower-case hex digits each, comma-separated (so `00-1A-2B…`, `001a.2b…` and `00:1a:2b…` all
 *   match one search);
 * - `assets_created_key`: the keyset order every asset page walks, (created_at, id): neither changes once written,
 *   so a cursor walks each asset exactly once while a sync renames or moves them;
 * - `asset_changes`: one record per asset a sync run created, updated (fields old → new), linked or removed,
 *   written in the same transaction as the change; purged with the provisioning log's retention.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('assets').addColumn('ncentral_customer_id', 'text').execute();
  await db.schema.alterTable('assets').addColumn('ncentral_site_id', 'text').execute();
  await db.schema.alterTable('assets').addColumn('last_check_in', 'timestamptz').execute();
  await db.schema.alterTable('assets').addColumn('mac_search', 'text', (c) => c.notNull().defaultTo('')).execute();
  await sql`
    update assets set mac_search = coalesce((
      select string_agg(regexp_replace(lower(m), '[^0-9a-f]', '', 'g'), ',') from jsonb_array_elements_text(mac_addresses) as m
    ), '')`.execute(db);
  await sql`create index assets_created_key on assets (tenant_id, created_at, id)`.execute(db);

  await db.schema
    .createTable('asset_changes')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('run_id', 'uuid', (c) => c.notNull())
    .addColumn('asset_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('created', 'updated', 'linked', 'removed')`))
    // Created: the asset's fields; updated: { field: { old, new } }; linked: the N-central device; removed: why.
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('asset_changes_pkey', ['tenant_id', 'id'])
    .execute();
  await sql`create index asset_changes_run_idx on asset_changes (tenant_id, run_id, id)`.execute(db);
  await sql`create index asset_changes_asset_idx on asset_changes (tenant_id, asset_id, id)`.execute(db);
  // The retention purge walks each tenant's oldest first, as it does the provisioning log.
  await sql`create index asset_changes_occurred_idx on asset_changes (tenant_id, occurred_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('asset_changes').execute();
  await sql`drop index assets_created_key`.execute(db);
  for (const column of ['mac_search', 'last_check_in', 'ncentral_site_id', 'ncentral_customer_id']) {
    await db.schema.alterTable('assets').dropColumn(column).execute();
  }
}
