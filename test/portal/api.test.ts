import t from 'tap';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/store/tables.js';
import { usableSerial } from '../../src/ncentral/device-diff.js';
import { insertAsset } from '../../src/store/assets.js';
import { createTestAdmin } from '../helpers/admin.js';
import { createTestTenant } from '../helpers/tenants.js';
import { generateEstate } from '../fakes/ncentral.js';
import { get, sync, syncedApp, walk, type Answer, type Json } from './portal-fixture.js';

type Asset = Json & { id: string; name: string; client: { id: string; name: string }; ncentral: { deviceId: string; customerId: string | null; siteId: string | null } | null };
type Change = Json & { kind: string; assetId: string; deviceId: string | null; changes: Record<string, { old: unknown; new: unknown }> };

const changeCount = async (db: Kysely<DB>, tenantId: string): Promise<number> => {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from asset_changes where tenant_id = ${tenantId}`.execute(db);
  return Number(rows[0]?.n ?? 0);
};

t.test('after a sync the clients and assets lists hold exactly what N-central holds', async (t) => {
  const a = await syncedApp(t);
  const estate = a.fake.estate;
  const clients = await walk(a, '/clients', 'clients', 2);
  const synced = clients.filter((c) => c['source'] === 'ncentral');
  t.same(synced.map((c) => c['name']).sort(), estate.listCustomers().map((c) => c.customerName.trim()).sort(), 'one client per N-central customer');
  const clientOfCustomer = new Map<string, string>();
  for (const c of synced) {
    const links = c['ncentral'] as Array<{ id: string; kind: string; gone: boolean }>;
    t.equal(links.length, 1);
    t.equal(links[0]?.kind, 'customer');
    t.equal(links[0]?.gone, false);
    clientOfCustomer.set(String(links[0]?.id), String(c['id']));
  }
  const devices = estate.listDevices();
  const perCustomer = (id: number) => devices.filter((d) => d.customerId === id).length;
  for (const customer of estate.listCustomers()) {
    const client = synced.find((c) => clientOfCustomer.get(String(customer.customerId)) === c['id']);
    t.same(client?.['assets'], { active: perCustomer(customer.customerId), removed: 0 }, `asset counts of ${customer.customerName}`);
  }

  const assets = (await walk(a, '/assets', 'assets', 4)) as Asset[];
  t.equal(assets.length, devices.length, 'one asset per device');
  for (const d of devices) {
    const asset = assets.find((x) => x.ncentral?.deviceId === String(d.deviceId));
    const held = estate.assets(d.deviceId);
    t.ok(asset, `device ${d.deviceId} is an asset`);
    if (!asset || !held) continue;
    t.equal(asset.name, d.longName);
    t.equal(asset['serialNumber'], usableSerial(held.serialNumber));
    t.same(asset['macAddresses'], held.macAddresses);
    t.equal(asset['manufacturer'], held.manufacturer);
    t.equal(asset['model'], held.model);
    t.equal(asset['os'], held.osName);
    t.equal(asset['deviceClass'], d.deviceClass);
    t.equal(asset.ncentral?.customerId, String(d.customerId));
    t.equal(asset.ncentral?.siteId, d.siteId === null ? null : String(d.siteId));
    t.equal(asset.client.id, clientOfCustomer.get(String(d.customerId)));
    const checkIn = d.lastApplianceCheckinTime;
    if (checkIn === null) t.equal(asset['lastCheckIn'], null);
    else t.ok(asset['lastCheckIn'], 'the check-in time N-central reports');
    t.equal(asset['removedAt'], null);
  }

  const one = assets[0] as Asset;
  const detail = await get(a, `/assets/${one.id}`);
  t.equal(detail.status, 200);
  t.equal(detail.body['name'], one.name);
  t.match(detail.body['changes'], [{ kind: 'created', runId: a.firstRun['id'], assetId: one.id }]);
  const client = await get(a, `/clients/${one.client.id}`);
  t.equal(client.status, 200);
  t.equal(client.body['name'], one.client.name);
});

t.test('every asset filter narrows as documented', async (t) => {
  const a = await syncedApp(t);
  const all = (await walk(a, '/assets', 'assets', 50)) as Asset[];
  const acme = all.find((x) => x.name === 'ACME-DC01') as Asset;
  const withSerial = all.find((x) => typeof x['serialNumber'] === 'string') as Asset;

  const ofClient = (await walk(a, `/assets?client=${acme.client.id}`, 'assets', 50)) as Asset[];
  t.equal(ofClient.length, 3, 'Acme Corp holds three devices (its sites count under it)');
  t.ok(ofClient.every((x) => x.client.id === acme.client.id));

  const serial = String(withSerial['serialNumber']);
  const bySerial = (await walk(a, `/assets?search=${encodeURIComponent(serial.toLowerCase())}`, 'assets', 50)) as Asset[];
  t.same(bySerial.map((x) => x.id), [withSerial.id], 'a serial number, any case');

  const mac = String((withSerial['macAddresses'] as string[])[0]);
  for (const form of [mac.toLowerCase(), mac.replaceAll(':', '-'), mac.replaceAll(':', ''), `${mac.replaceAll(':', '').slice(0, 4)}.${mac.replaceAll(':', '').slice(4, 8)}.${mac.replaceAll(':', '').slice(8)}`]) {
    const byMac = (await walk(a, `/assets?search=${encodeURIComponent(form)}`, 'assets', 50)) as Asset[];
    t.same(byMac.map((x) => x.id), [withSerial.id], `the MAC address written as ${form}`);
  }

  const byName = (await walk(a, '/assets?search=globex', 'assets', 50)) as Asset[];
  t.same(byName.map((x) => x.name).sort(), ['GLOBEX-01', 'GLOBEX-02'], 'part of a name, any case');

  const deviceClass = String(withSerial['deviceClass']);
  const byClass = (await walk(a, `/assets?deviceClass=${encodeURIComponent(deviceClass.toUpperCase())}`, 'assets', 50)) as Asset[];
  t.same(byClass.map((x) => x.id).sort(), all.filter((x) => x['deviceClass'] === deviceClass).map((x) => x.id).sort());
  const os = String(withSerial['os']);
  const byOs = (await walk(a, `/assets?os=${encodeURIComponent(os.slice(1, 6).toLowerCase())}`, 'assets', 50)) as Asset[];
  t.same(byOs.map((x) => x.id).sort(), all.filter((x) => String(x['os']).toLowerCase().includes(os.slice(1, 6).toLowerCase())).map((x) => x.id).sort());

  t.same(await walk(a, '/assets?removed=true', 'assets', 50), [], 'nothing removed yet');
  // A later sync: one device deleted, one renamed.
  a.clock.advance(3600_000);
  const since = a.clock.now().toISOString();
  const globex = all.find((x) => x.name === 'GLOBEX-02') as Asset;
  a.fake.estate.deleteDevice(Number(globex.ncentral?.deviceId));
  a.fake.estate.renameDevice(Number(acme.ncentral?.deviceId), 'ACME-DC01-NEW');
  await sync(a);
  const removed = (await walk(a, '/assets?removed=true', 'assets', 50)) as Asset[];
  t.same(removed.map((x) => x.id), [globex.id], 'removed=true lists the asset gone from N-central');
  t.ok(removed[0]?.['removedAt']);
  t.equal((await walk(a, '/assets', 'assets', 50)).length, all.length - 1, 'removed assets are left out by default');
  const changed = (await walk(a, `/assets?changedSince=${encodeURIComponent(since)}`, 'assets', 50)) as Asset[];
  t.same(changed.map((x) => x.name), ['ACME-DC01-NEW'], 'changedSince: only what changed since');
  t.same((await walk(a, `/assets?removed=true&changedSince=${encodeURIComponent(since)}`, 'assets', 50)).length, 1, 'filters combine');

  const counts = (await get(a, `/clients/${globex.client.id}`)).body['assets'];
  t.same(counts, { active: 1, removed: 1 }, 'a client counts its removed assets apart');

  const clients = await walk(a, '/clients?search=ACME', 'clients', 50);
  t.same(clients.map((c) => c['name']), ['Acme Corp']);
  t.same(await walk(a, '/clients?source=manual', 'clients', 50), []);
  t.equal((await walk(a, '/clients?source=ncentral', 'clients', 50)).length, 3);
});

t.test('bad input is a 400 in the admin API error shape, never a 500', async (t) => {
  const a = await syncedApp(t);
  for (const url of [
    '/assets?colour=red',
    '/assets?cursor=not-a-cursor',
    `/assets?cursor=${Buffer.from(JSON.stringify({ v: 1, o: 'clients', k: ['x', crypto.randomUUID()] })).toString('base64url')}`,
    `/assets?cursor=${Buffer.from(JSON.stringify({ v: 1, o: 'assets', k: ['99999999999999999999', crypto.randomUUID()] })).toString('base64url')}`,
    '/assets?limit=0',
    '/assets?removed=maybe',
    '/assets?changedSince=yesterday',
    '/assets?client=not-a-uuid',
    `/assets?search=${encodeURIComponent('\u0000')}`,
    '/clients?source=a%20b',
    '/accounts?cursor=%7B%7D',
    '/assets/not-a-uuid',
  ]) {
    const res = await get(a, url);
    t.equal(res.status, 400, url);
    t.type(res.body['message'], 'string', `${url} explains itself`);
  }
});

t.test("a run's changes list exactly its creates, updates (old → new), links and removals", async (t) => {
  const a = await syncedApp(t);
  const db = a.deps.database.db;
  const first = await walk(a, `/ncentral/runs/${String(a.firstRun['id'])}/changes`, 'changes', 4);
  t.equal(first.length, a.fake.estate.listDevices().length);
  t.ok(first.every((c) => c['kind'] === 'created'));

  const before = await changeCount(db, a.tenantId);
  const quiet = await sync(a);
  t.same(await walk(a, `/ncentral/runs/${String(quiet['id'])}/changes`, 'changes', 4), [], 'a no-change re-sync has no changes');
  t.equal(await changeCount(db, a.tenantId), before, 'and writes no change record');

  const assets = (await walk(a, '/assets', 'assets', 50)) as Asset[];
  const renamed = assets.find((x) => x.name === 'GLOBEX-01') as Asset;
  const gone = assets.find((x) => x.name === 'INITECH-01') as Asset;
  const estate = a.fake.estate;
  estate.renameDevice(Number(renamed.ncentral?.deviceId), 'GLOBEX-01-RENAMED');
  estate.setAssets(Number(renamed.ncentral?.deviceId), { serialNumber: 'NEWSERIAL42' });
  estate.deleteDevice(Number(gone.ncentral?.deviceId));
  const globexCustomer = estate.listCustomers().find((c) => c.customerName.trim() === 'GLOBEX');
  const fresh = estate.addDevice({ customerId: Number(globexCustomer?.customerId), longName: 'GLOBEX-NEW' });
  // An asset another source already holds: the new device with its serial is linked to it, not duplicated.
  const manualId = crypto.randomUUID();
  await insertAsset(db, a.tenantId, { id: manualId, portalClientId: renamed.client.id, source: 'psa', externalId: 'psa-1', name: 'Reception PC', serialNumber: 'PSA-SERIAL-9', macAddresses: [], model: null, manufacturer: null, osName: null, deviceClass: null }, a.clock.now());
  const twin = estate.addDevice({ customerId: Number(globexCustomer?.customerId), longName: 'RECEPTION', assets: { serialNumber: 'PSA-SERIAL-9' } });

  const run = await sync(a);
  const changes = (await walk(a, `/ncentral/runs/${String(run['id'])}/changes`, 'changes', 2)) as Change[];
  const byKind = (kind: string) => changes.filter((c) => c.kind === kind);
  t.equal(changes.length, 4, 'one change per asset touched');
  t.equal(byKind('created').length, 1);
  t.equal(byKind('created')[0]?.deviceId, String(fresh.deviceId));
  t.match(byKind('created')[0]?.changes, { name: { old: null, new: 'GLOBEX-NEW' } });
  t.same(byKind('updated').map((c) => [c.assetId, c.changes]), [
    [renamed.id, { name: { old: 'GLOBEX-01', new: 'GLOBEX-01-RENAMED' }, serialNumber: { old: renamed['serialNumber'], new: 'NEWSERIAL42' } }],
  ]);
  t.same(byKind('linked').map((c) => [c.assetId, c.deviceId]), [[manualId, String(twin.deviceId)]]);
  t.same(byKind('removed').map((c) => c.assetId), [gone.id]);
  t.match(byKind('removed')[0], { deviceId: gone.ncentral?.deviceId, because: /^(notFound|deleted|noPermission)$/ });
  t.ok(changes.every((c) => c['runId'] === run['id']));
  t.equal(run['created'], 1);
  t.equal(run['linked'], 1);
  t.equal(run['removed'], 1);

  const detail = await get(a, `/assets/${renamed.id}`);
  t.same((detail.body['changes'] as Change[]).map((c) => c.kind), ['updated', 'created'], "the asset's own history, newest first");
  const older = await get(a, `/assets/${renamed.id}/changes?limit=1`);
  t.equal((older.body['changes'] as Change[])[0]?.kind, 'updated');
  const next = await get(a, `/assets/${renamed.id}/changes?limit=1&cursor=${String(older.body['nextCursor'])}`);
  t.equal((next.body['changes'] as Change[])[0]?.kind, 'created');
  t.equal(next.body['nextCursor'], null);
});

t.test('a tenant-scoped token reads only its own tenant, on every route', async (t) => {
  const a = await syncedApp(t);
  const asset = ((await get(a, '/assets?limit=1')).body['assets'] as Asset[])[0] as Asset;
  const scim = await createTestTenant(a);
  const accountRes = await a.app.inject({
    method: 'POST',
    url: '/scim/v2/Users',
    headers: { ...scim.scimHeaders, 'content-type': 'application/scim+json' },
    payload: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'other@tenant.test', active: true, name: { givenName: 'O', familyName: 'T' } }),
  });
  t.equal(accountRes.statusCode, 201);
  const accountId = String((accountRes.json() as Json)['id']);
  const other = await createTestAdmin(a, scim.tenantId);
  const runId = String(a.firstRun['id']);

  t.same((await get(a, '/clients', other.headers)).body['clients'], []);
  t.same((await get(a, '/assets', other.headers)).body['assets'], []);
  t.same((await get(a, '/assets/export', other.headers)).raw, '');
  t.same((await get(a, '/accounts', a.headers)).body['accounts'], [], "the first tenant does not see the other's account");
  for (const url of [`/clients/${asset.client.id}`, `/assets/${asset.id}`, `/assets/${asset.id}/changes`, `/ncentral/runs/${runId}/changes`]) {
    t.equal((await get(a, url, other.headers)).status, 404, `${url}: another tenant's id is not found`);
  }
  t.equal((await get(a, `/accounts/${accountId}`, a.headers)).status, 404, "another tenant's account is not found");
  t.equal((await get(a, `/accounts/${accountId}`, other.headers)).status, 200);
  for (const url of ['/clients', '/assets', '/assets/export', '/accounts', `/assets/${asset.id}`, `/ncentral/runs/${runId}/changes`]) {
    t.equal((await get(a, `${url}?tenant=${a.tenantId}`, other.headers)).status, 403, `${url}: naming another tenant is refused`);
  }

  const service = await createTestAdmin(a);
  t.equal((await get(a, '/assets', service.headers)).status, 400, 'a service-wide token must name the tenant');
  const named = await get(a, `/assets?tenant=${a.tenantId}`, service.headers);
  t.equal(named.status, 200);
  t.equal((named.body['assets'] as Asset[]).length, a.fake.estate.listDevices().length);
  t.equal((await get(a, `/assets/${asset.id}?tenant=${scim.tenantId}`, service.headers)).status, 404);
  t.equal((await get(a, '/assets')).status, 200);
  t.equal((await a.app.inject({ method: 'GET', url: '/admin/v1/assets' })).statusCode, 401, 'no token, no data');
});

t.test('accounts: paged by userName, searched by userName, display name or email', async (t) => {
  const a = await syncedApp(t);
  const tenant = await createTestTenant(a);
  const admin = await createTestAdmin(a, tenant.tenantId, 'viewer');
  const create = async (userName: string, extra: Json) => {
    const res = await a.app.inject({
      method: 'POST',
      url: '/scim/v2/Users',
      headers: { ...tenant.scimHeaders, 'content-type': 'application/scim+json' },
      payload: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, name: { givenName: 'G', familyName: 'F' }, ...extra }),
    });
    if (res.statusCode !== 201) throw new Error(res.body);
    return String((res.json() as Json)['id']);
  };
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) ids.push(await create(`user${i}@contoso.test`, { displayName: i === 3 ? 'Zoë Quartermaine' : `User ${i}` }));
  await create('Boss@Contoso.test', { emails: [{ value: 'chief.exec@fabrikam.test', primary: true, type: 'work' }] });
  const walked = await walk(a, '/accounts', 'accounts', 3, admin.headers);
  t.equal(walked.length, 8);
  t.same(walked.map((x) => String(x['userName']).toLowerCase()), walked.map((x) => String(x['userName']).toLowerCase()).sort(), 'in userName order');
  t.same((await walk(a, '/accounts?search=QUARTER', 'accounts', 10, admin.headers)).map((x) => x['userName']), ['user3@contoso.test'], 'display name');
  t.same((await walk(a, '/accounts?search=fabrikam', 'accounts', 10, admin.headers)).map((x) => x['userName']), ['Boss@Contoso.test'], 'email');
  t.equal((await walk(a, '/accounts?search=USER', 'accounts', 10, admin.headers)).length, 7, 'userName, any case');
  const one = await get(a, `/accounts/${ids[3] ?? ''}`, admin.headers);
  t.match(one.body, { id: ids[3], userName: 'user3@contoso.test', displayName: 'Zoë Quartermaine', active: true });
});

t.test('cursors walk every asset exactly once while a sync renames and adds devices', async (t) => {
  const estate = generateEstate({ customers: 4, sitesPerCustomer: 1, devices: 120 });
  const a = await syncedApp(t, { estate });
  const before = (await walk(a, '/assets', 'assets', 50)) as Asset[];
  t.equal(before.length, 120);
  for (const d of estate.listDevices()) estate.renameDevice(d.deviceId, `${d.longName}-renamed`);
  const customer = estate.listCustomers()[0];
  for (let i = 0; i < 20; i++) estate.addDevice({ customerId: Number(customer?.customerId), longName: `added-${i}` });
  const started = await a.app.inject({ method: 'POST', url: '/admin/v1/ncentral/sync', headers: a.headers });
  t.equal(started.statusCode, 202);
  const runId = String((started.json() as Json)['id']);

  const seen = new Map<string, number>();
  let cursor: string | null = null;
  let runningDuringWalk = false;
  do {
    const res: Answer = await get(a, `/assets?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
    for (const x of res.body['assets'] as Asset[]) seen.set(x.id, (seen.get(x.id) ?? 0) + 1);
    cursor = res.body['nextCursor'] as string | null;
    if ((await get(a, `/ncentral/runs/${runId}`)).body['status'] === 'running') runningDuringWalk = true;
  } while (cursor !== null);
  // Let the run end before the test's app closes.
  for (let i = 0; i < 600 && (await get(a, `/ncentral/runs/${runId}`)).body['status'] === 'running'; i++) await new Promise((r) => setTimeout(r, 50));
  t.ok(runningDuringWalk, 'the sync was running while the cursor walked');
  t.same([...seen.values()].filter((n) => n !== 1), [], 'no asset twice');
  t.same(before.filter((x) => !seen.has(x.id)).map((x) => x.name), [], 'every asset present before the sync was walked');
});
