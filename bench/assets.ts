/**
 * `npm run bench:assets`: the portal data reads at scale (issue 13). Seeds 100,000 assets in 1,000 clients (as a
 * sync leaves them: serials, MACs, N-central ids), then prints the median time of the first page of assets, a
 * page deep through the cursor, a serial-number search and a client's assets, and the heap growth of exporting
 * all 100,000. Uses PostgreSQL when BENCH_DATABASE_URL, TEST_DATABASE_URL or DATABASE_URL is set (a throw-away
 * schema), else the embedded PGlite. Run with `node --expose-gc` (the script does) so heap figures are settled.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { createAssetService } from '../src/portal/asset-service.js';
import { createClientService } from '../src/portal/client-service.js';
import { connectDatabase } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { insertTenant } from '../src/store/tenants.js';

const url = process.env['BENCH_DATABASE_URL'] || process.env['TEST_DATABASE_URL'] || process.env['DATABASE_URL'];
const ASSETS = Number(process.env['BENCH_ASSETS'] ?? 100_000);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 1_000);
const ROUNDS = 25;

async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(sqlText);
  await client.end();
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

async function timed(label: string, work: () => Promise<unknown>): Promise<void> {
  await work();
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await work();
    ms.push(performance.now() - t0);
  }
  console.log(`${label.padEnd(44)} median ${median(ms).toFixed(2)} ms   (min ${Math.min(...ms).toFixed(2)}, max ${Math.max(...ms).toFixed(2)}, ${ROUNDS} runs)`);
}

const gc = (globalThis as { gc?: () => void }).gc;
const settledHeap = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

const schema = url ? `bench_assets_${randomBytes(4).toString('hex')}` : undefined;
if (schema) await admin(`create schema ${schema}`);
const database = await connectDatabase({ databaseUrl: url, schema, poolMax: 5, statementTimeoutMs: 300_000 });
try {
  await migrateToLatest(database.db);
  const db = database.db;
  const tenant = await insertTenant(db, { id: randomUUID(), name: 'bench', createdAt: new Date() });
  const t0 = performance.now();
  await sql`
    insert into portal_clients (tenant_id, id, name, source, external_id, created_at, updated_at)
    select ${tenant.id}::uuid, md5('client' || g)::uuid, 'Client ' || g, 'ncentral', (1000 + g)::text, now(), now()
    from generate_series(1, ${CLIENTS}) as g`.execute(db);
  await sql`
    insert into assets (tenant_id, id, portal_client_id, source, external_id, name, serial_number, mac_addresses, mac_search,
      model, manufacturer, os_name, device_class, ncentral_customer_id, last_check_in, created_at, updated_at)
    select ${tenant.id}::uuid, md5('asset' || g)::uuid, md5('client' || (1 + g % ${CLIENTS}))::uuid, 'ncentral', (2000000 + g)::text,
      'DEVICE-' || g, 'SN' || upper(to_hex(g * 7919)), jsonb_build_array('00:50:' || substr(md5(g::text), 1, 2) || ':' || substr(md5(g::text), 3, 2) || ':' || substr(md5(g::text), 5, 2) || ':' || substr(md5(g::text), 7, 2)),
      '0050' || substr(md5(g::text), 1, 8), 'OptiPlex 7090', 'Dell Inc.', case when g % 3 = 0 then 'Linux' else 'Windows 11 Pro' end,
      case when g % 5 = 0 then 'Server - Windows' else 'Workstations - Windows' end, (1000 + 1 + g % ${CLIENTS})::text, now(),
      now() - (${ASSETS} - g) * interval '1 millisecond', now()
    from generate_series(1, ${ASSETS}) as g`.execute(db);
  await sql`analyze`.execute(db);
  console.log(`seeded ${ASSETS} assets in ${CLIENTS} clients in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${url ? 'PostgreSQL' : 'PGlite'}`);

  const assets = createAssetService({ database });
  const clients = createClientService({ database });
  const tenantId = tenant.id;
  // A cursor 90% of the way through: walked once, then the page after it is what is timed.
  let deep: string | null = null;
  {
    let cursor: string | undefined;
    for (let seen = 0; seen < ASSETS * 0.9; seen += 500) {
      const page = await assets.listAssets(tenantId, { cursor, limit: 500 });
      deep = page.nextCursor;
      cursor = page.nextCursor ?? undefined;
      if (!cursor) break;
    }
  }
  const serial = `sn${(77_777 * 7919).toString(16)}`;
  const client = md5Uuid(`client${1 + (4242 % CLIENTS)}`);
  await timed('first page of assets (50)', () => assets.listAssets(tenantId, { limit: 50 }));
  await timed('page 90% deep through the cursor (50)', () => assets.listAssets(tenantId, { cursor: deep ?? undefined, limit: 50 }));
  await timed('serial-number search (any case)', async () => {
    const page = await assets.listAssets(tenantId, { search: serial, limit: 50 });
    if (page.assets.length !== 1) throw new Error(`serial search found ${page.assets.length}`);
  });
  await timed("a client's assets, first page (50)", async () => {
    const page = await assets.listAssets(tenantId, { client, limit: 50 });
    if (page.assets.length === 0) throw new Error('no assets for the client');
  });
  await timed('MAC search (dashes, upper case)', () => assets.listAssets(tenantId, { search: '00-50-AB-CD', limit: 50 }));
  await timed('first page of clients with counts (50)', () => clients.listClients(tenantId, { limit: 50 }));

  const before = settledHeap();
  let peak = before;
  let n = 0;
  const t1 = performance.now();
  for await (const _ of assets.exportAssets(tenantId, {})) {
    n++;
    // Settled (after a collection): what the export keeps alive, not garbage awaiting collection.
    if (n % 10_000 === 0) peak = Math.max(peak, settledHeap());
  }
  const exportMs = performance.now() - t1;
  console.log(`export of ${n} assets: ${(exportMs / 1000).toFixed(1)} s, heap growth ${((peak - before) / 1048576).toFixed(1)} MB (largest settled heap during the export minus before)`);
} finally {
  await database.close();
  if (schema) await admin(`drop schema ${schema} cascade`);
}

function md5Uuid(text: string): string {
  // PostgreSQL's md5(text)::uuid, computed here for the client the bench reads.
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
