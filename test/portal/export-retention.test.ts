import t from 'tap';
import { purgeDepsOf, purgeExpiredEntries } from '../../src/provisioning-log/service.js';
import { createTestAdmin } from '../helpers/admin.js';
import { createTestTenant } from '../helpers/tenants.js';
import { get, sync, syncedApp, walk, type Json } from './portal-fixture.js';

const DAY = 24 * 3600_000;

t.test('the assets export streams every matching asset as NDJSON or CSV, filters applied', async (t) => {
  const a = await syncedApp(t);
  const listed = await walk(a, '/assets', 'assets', 50);
  const ndjson = await get(a, '/assets/export');
  t.equal(ndjson.status, 200);
  const lines = ndjson.raw.trim().split('\n').map((l) => JSON.parse(l) as Json);
  t.same(lines, listed, 'each line is the asset as the list shows it, in the same order');

  const csv = await a.app.inject({ method: 'GET', url: '/admin/v1/assets/export?format=csv&search=globex', headers: a.headers });
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /^text\/csv/);
  t.match(csv.headers['content-disposition'], /^attachment; filename="assets-.*\.csv"$/);
  const rows = csv.body.trim().split('\r\n');
  t.match(rows[0], /^id,client_id,client_name,source,name,serial_number,mac_addresses/);
  t.equal(rows.length, 3, 'header and the two Globex devices');
  t.ok(rows.slice(1).every((r) => r.includes('GLOBEX-0')));

  // Batches of the export are keyset pages: a batch size smaller than the list still yields each asset once.
  const { createAssetService } = await import('../../src/portal/asset-service.js');
  const service = createAssetService(a.deps);
  const ids: string[] = [];
  for await (const asset of service.exportAssets(a.tenantId, {}, 2)) ids.push(asset.id);
  t.same(ids, listed.map((x) => x['id']));
});

t.test('a CSV cell that a spreadsheet would run as a formula is neutralised', async (t) => {
  const a = await syncedApp(t);
  const device = a.fake.estate.listDevices()[0];
  a.fake.estate.renameDevice(Number(device?.deviceId), '=HYPERLINK("http://evil.test")');
  await sync(a);
  const csv = await a.app.inject({ method: 'GET', url: '/admin/v1/assets/export?format=csv&search=hyperlink', headers: a.headers });
  t.match(csv.body, /"'=HYPERLINK\(""http:\/\/evil\.test""\)"/);
});

t.test('change records follow RETENTION_DAYS and are purged in batches with the provisioning log', async (t) => {
  const a = await syncedApp(t);
  const runId = String(a.firstRun['id']);
  const created = (await walk(a, `/ncentral/runs/${runId}/changes`, 'changes', 50)).length;
  t.ok(created > 0);
  a.clock.advance(80 * DAY);
  const device = a.fake.estate.listDevices()[0];
  a.fake.estate.renameDevice(Number(device?.deviceId), 'RENAMED-LATER');
  const later = await sync(a);

  a.clock.advance(11 * DAY);
  const result = await purgeExpiredEntries(purgeDepsOf(a.deps), { batchSize: 2 });
  // Other tests of this file share the database: their tenants' old records go too.
  t.equal(result.assetChanges.byTenant[a.tenantId], created, "the first run's records, past 90 days");
  t.ok(result.assetChanges.batches >= Math.ceil(created / 2), 'in batches of the configured size');
  t.same(await walk(a, `/ncentral/runs/${runId}/changes`, 'changes', 50), []);
  t.equal((await walk(a, `/ncentral/runs/${String(later['id'])}/changes`, 'changes', 50)).length, 1, 'newer records stay');
  const again = await purgeExpiredEntries(purgeDepsOf(a.deps));
  t.equal(again.assetChanges.byTenant[a.tenantId], undefined, 'a rerun deletes nothing new');
});

t.test('a service-wide admin exports a named tenant only; a scoped one only its own', async (t) => {
  const a = await syncedApp(t);
  const other = await createTestTenant(a);
  const otherAdmin = await createTestAdmin(a, other.tenantId);
  t.equal((await get(a, '/assets/export', otherAdmin.headers)).raw, '');
  t.equal((await get(a, `/assets/export?tenant=${a.tenantId}`, otherAdmin.headers)).status, 403);
  const service = await createTestAdmin(a);
  t.equal((await get(a, '/assets/export', service.headers)).status, 400);
  const named = await get(a, `/assets/export?tenant=${a.tenantId}`, service.headers);
  t.equal(named.raw.trim().split('\n').length, a.fake.estate.listDevices().length);
});
