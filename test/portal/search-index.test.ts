import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { findAssetsPage } from '../../src/store/asset-listing.js';
import { insertTenant } from '../../src/store/tenants.js';
import { sharedTestDatabase } from '../helpers/database.js';

// The asset search ("any part of the name, serial number or MAC") is served by the trigram index of migration
// 2026-12-04-0160 on PostgreSQL and on PGlite, instead of reading every asset of the tenant. Whether the planner
// takes it depends on the tenant's size: `npm run bench:assets` shows it at 100,000 assets (7 ms, 80 ms without).
t.test('the asset search has its trigram index on PostgreSQL and PGlite, and finds by any part of a serial', async (t) => {
  const { database } = await sharedTestDatabase();
  const db = database.db;
  const tenant = await insertTenant(db, { id: randomUUID(), name: `search-${randomUUID()}`, createdAt: new Date() });
  const clientId = randomUUID();
  await sql`insert into portal_clients (tenant_id, id, name, source, external_id, created_at, updated_at)
    values (${tenant.id}::uuid, ${clientId}::uuid, 'Contoso', 'ncentral', '1', now(), now())`.execute(db);
  await sql`
    insert into assets (tenant_id, id, portal_client_id, source, external_id, name, serial_number, mac_addresses, mac_search, created_at, updated_at)
    select ${tenant.id}::uuid, gen_random_uuid(), ${clientId}::uuid, 'ncentral', g::text, 'DEVICE-' || g, 'SN' || upper(to_hex(g * 7919)),
      '[]'::jsonb, '0050' || substr(md5(g::text), 1, 8), now() - g * interval '1 second', now()
    from generate_series(1, 20000) as g`.execute(db);
  await sql`analyze assets`.execute(db);

  const { rows } = await sql<{ indexdef: string }>`select indexdef from pg_indexes where indexname = 'assets_search_trgm' and schemaname = current_schema()`.execute(db);
  t.match(rows[0]?.indexdef ?? '', /gin \(lower\(name\) .*gin_trgm_ops, lower\(serial_number\) .*gin_trgm_ops, mac_search .*gin_trgm_ops\)/, 'the index exists');

  const serial = (12_345 * 7919).toString(16).slice(1);
  const found = await findAssetsPage(db, tenant.id, { search: serial, removed: false }, { limit: 51 });
  t.same(found.map((a) => a.serial_number), [`SN${(12_345 * 7919).toString(16).toUpperCase()}`], 'the one asset with that serial');
});
