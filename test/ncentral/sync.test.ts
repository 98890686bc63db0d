import t from 'tap';
import { listAssets } from '../../src/store/assets.js';
import { memoryHarness, rowVersions, testActor } from './harness.js';
import { assetsFor, device, smallEstate } from './memory-source.js';

async function finishedAcme(options: { assetsUnderParent?: boolean } = {}) {
  const h = await memoryHarness(smallEstate(), options);
  await h.service.createUnmatched(h.tenantId, testActor);
  const run = await h.service.finish(h.tenantId, testActor, { wait: true });
  return { h, run };
}

t.test('the initial sync creates one asset per device with its inventory', async (t) => {
  const { h, run } = await finishedAcme();
  t.equal(run.status, 'succeeded');
  t.equal(run.created, 5);
  t.equal(run.clients_created, 2);
  const assets = await listAssets(h.db, h.tenantId, { source: 'ncentral' });
  t.same(assets.map((a) => a.external_id), ['1001', '1002', '1003', '2001', '2002']);
  const a = assets[0];
  t.equal(a?.serial_number, 'SN-1001');
  t.same(a?.mac_addresses, ['00:11:22:33:44:01']);
  t.equal(a?.model, 'OptiPlex 7090');
  t.equal(a?.manufacturer, 'Dell Inc.');
  t.equal(h.source.calls.assets, 5);
});

t.test('a re-sync with nothing changed writes no row and makes no assets call', async (t) => {
  const { h } = await finishedAcme();
  const before = await rowVersions(h.db, h.tenantId);
  const callsBefore = h.source.calls.assets;
  const run = await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.equal(run.status, 'succeeded');
  t.equal(run.unchanged, 5);
  t.equal(run.created + run.updated + run.removed, 0);
  t.equal(h.source.calls.assets, callsBefore);
  t.same(await rowVersions(h.db, h.tenantId), before);
});

t.test('under the parent, site devices become assets of the customer\'s portal client', async (t) => {
  const { h } = await finishedAcme({ assetsUnderParent: true });
  const units = await h.service.units(h.tenantId);
  const acme = units.find((u) => u.id === '100');
  const assets = await listAssets(h.db, h.tenantId, { source: 'ncentral' });
  t.same(new Set(assets.filter((a) => ['1001', '1002', '1003'].includes(a.external_id)).map((a) => a.portal_client_id)), new Set([acme?.portalClientId]));
  t.equal(units.filter((u) => u.kind === 'site' && u.portalClientId !== null).length, 0);
});

t.test('with assets under the parent off, each site becomes its own portal client', async (t) => {
  const { h, run } = await finishedAcme({ assetsUnderParent: false });
  t.equal(run.clients_created, 4);
  const units = new Map((await h.service.units(h.tenantId)).map((u) => [u.id, u]));
  const byDevice = new Map((await listAssets(h.db, h.tenantId)).map((a) => [a.external_id, a.portal_client_id]));
  t.equal(byDevice.get('1001'), units.get('100')?.portalClientId);
  t.equal(byDevice.get('1002'), units.get('110')?.portalClientId);
  t.equal(byDevice.get('1003'), units.get('111')?.portalClientId);
  t.equal(units.get('110')?.portalClientName, 'Acme Berlin');
});

t.test('renamed and moved devices are updated in place, not duplicated', async (t) => {
  const { h } = await finishedAcme();
  const e = h.source.estate;
  e.devices[0] = { ...device('1001', '100'), longName: 'PC-1001-renamed' };
  e.devices[3] = device('2001', '100');
  const run = await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.equal(run.updated, 2);
  t.equal(run.created, 0);
  const assets = await listAssets(h.db, h.tenantId);
  t.equal(assets.length, 5);
  const acme = (await h.service.units(h.tenantId)).find((u) => u.id === '100');
  t.equal(assets.find((a) => a.external_id === '1001')?.name, 'PC-1001-renamed');
  t.equal(assets.find((a) => a.external_id === '2001')?.portal_client_id, acme?.portalClientId);
});

t.test('a renamed customer renames the portal client created from it', async (t) => {
  const { h } = await finishedAcme();
  h.source.estate.customers[1] = { customerId: '200', customerName: 'Globex International', soId: '50' };
  await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  const globex = (await h.service.units(h.tenantId)).find((u) => u.id === '200');
  t.equal(globex?.name, 'Globex International');
  t.equal(globex?.portalClientName, 'Globex International');
});

t.test('a device gone from N-central is marked removed once its own GET answers 404', async (t) => {
  const { h } = await finishedAcme();
  h.source.estate.devices = h.source.estate.devices.filter((d) => d.deviceId !== '2002');
  const run = await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.equal(run.removed, 1);
  const gone = (await listAssets(h.db, h.tenantId)).find((a) => a.external_id === '2002');
  t.ok(gone?.removed_at);
});

t.test('a device missing from the list but still answering its GET is not removed', async (t) => {
  const { h } = await finishedAcme();
  const realDevices = h.source.devices.bind(h.source);
  // Offset paging skipped it this time, but it still exists.
  h.source.devices = async function* () {
    for await (const page of realDevices()) yield { ...page, items: page.items.filter((d) => d.deviceId !== '2002') };
  };
  const run = await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.equal(run.removed, 0);
  t.same(run.removal_answers, { present: 1 });
  t.equal((await listAssets(h.db, h.tenantId)).find((a) => a.external_id === '2002')?.removed_at, null);
});

t.test('a failed pass marks nothing removed', async (t) => {
  const { h } = await finishedAcme();
  h.source.estate.devices = h.source.estate.devices.filter((d) => d.deviceId !== '2002');
  h.source.failOnDevicePage = 2;
  const run = await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.equal(run.status, 'failed');
  t.match(run.error, /503/);
  t.equal(run.removed, 0);
  t.equal(h.source.calls.device, 0);
  t.equal((await listAssets(h.db, h.tenantId)).filter((a) => a.removed_at !== null).length, 0);
});

t.test('a run that dies half-way is completed by the next run with no duplicates', async (t) => {
  const h = await memoryHarness(smallEstate());
  await h.service.createUnmatched(h.tenantId, testActor);
  h.source.failOnDevicePage = 2;
  const first = await h.service.finish(h.tenantId, testActor, { wait: true });
  t.equal(first.status, 'failed');
  t.equal(first.created, 3, 'the first page was written before the failure');
  const second = await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.equal(second.status, 'succeeded');
  t.equal(second.created, 2);
  t.equal(second.unchanged, 3);
  const assets = await listAssets(h.db, h.tenantId);
  t.equal(assets.length, 5);
  t.equal(new Set(assets.map((a) => a.external_id)).size, 5);
});

t.test('a run whose process died (stale heartbeat) does not block the next one', async (t) => {
  const { h } = await finishedAcme();
  await h.db
    .insertInto('ncentral_sync_runs')
    .values({ tenant_id: h.tenantId, id: crypto.randomUUID(), trigger: 'manual', status: 'running', started_at: h.clock.now(), heartbeat_at: h.clock.now() })
    .execute();
  await t.rejects(h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true }), { code: 'alreadyRunning' });
  h.clock.advance(10 * 60_000);
  const run = await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.equal(run.status, 'succeeded');
  const runs = await h.service.runs(h.tenantId);
  t.match(runs.find((r) => r.status === 'failed')?.error, /interrupted/);
});

t.test('with sync requirements honoured, a device already present from another source is linked', async (t) => {
  const h = await memoryHarness(smallEstate(), { ignoreSyncRequirements: false });
  const acme = await h.addClient('Acme Corp');
  const { upsertAssets } = await import('../../src/store/assets.js');
  const base = { portalClientId: acme, source: 'psa', macAddresses: [], model: null, manufacturer: null, osName: null, deviceClass: null };
  await upsertAssets(h.db, h.tenantId, [
    { ...base, id: crypto.randomUUID(), externalId: 'psa-1', name: 'Front desk', serialNumber: 'SN-1001' },
    { ...base, id: crypto.randomUUID(), externalId: 'psa-2', name: 'pc-1002 ', serialNumber: null },
  ], h.clock.now());
  await h.service.autoMatch(h.tenantId, testActor);
  await h.service.createUnmatched(h.tenantId, testActor);
  const run = await h.service.finish(h.tenantId, testActor, { wait: true });
  t.equal(run.linked, 2);
  t.equal(run.created, 3);
  const acmeAssets = await listAssets(h.db, h.tenantId, { portalClientId: acme });
  t.equal(acmeAssets.length, 3, 'two linked PSA assets and 1003, no duplicates');
});

t.test('with sync requirements ignored, every device becomes a new asset', async (t) => {
  const h = await memoryHarness(smallEstate(), { ignoreSyncRequirements: true });
  const acme = await h.addClient('Acme Corp');
  const { upsertAssets } = await import('../../src/store/assets.js');
  await upsertAssets(h.db, h.tenantId, [
    { id: crypto.randomUUID(), portalClientId: acme, source: 'psa', externalId: 'psa-1', name: 'PC-1001', serialNumber: 'SN-1001', macAddresses: [], model: null, manufacturer: null, osName: null, deviceClass: null },
  ], h.clock.now());
  await h.service.autoMatch(h.tenantId, testActor);
  await h.service.createUnmatched(h.tenantId, testActor);
  const run = await h.service.finish(h.tenantId, testActor, { wait: true });
  t.equal(run.linked, 0);
  t.equal(run.created, 5);
  t.equal((await listAssets(h.db, h.tenantId, { portalClientId: acme })).length, 4);
});

t.test('a placeholder serial number never links two machines', async (t) => {
  const estate = smallEstate();
  estate.assets.set('1001', assetsFor('1001', 'To Be Filled By O.E.M.'));
  const h = await memoryHarness(estate);
  const acme = await h.addClient('Acme Corp');
  const { upsertAssets } = await import('../../src/store/assets.js');
  await upsertAssets(h.db, h.tenantId, [
    { id: crypto.randomUUID(), portalClientId: acme, source: 'psa', externalId: 'psa-1', name: 'Other box', serialNumber: 'To Be Filled By O.E.M.', macAddresses: [], model: null, manufacturer: null, osName: null, deviceClass: null },
  ], h.clock.now());
  await h.service.autoMatch(h.tenantId, testActor);
  await h.service.createUnmatched(h.tenantId, testActor);
  const run = await h.service.finish(h.tenantId, testActor, { wait: true });
  t.equal(run.linked, 0);
  t.equal(run.created, 5);
});

t.test('devices of unmatched or excluded customers are skipped', async (t) => {
  const h = await memoryHarness(smallEstate());
  await h.service.exclude(h.tenantId, '200', testActor);
  const run = await h.service.finish(h.tenantId, testActor, { wait: true });
  t.equal(run.created, 0);
  t.equal(run.skipped, 5);
});

t.test('a scheduled job delivered twice runs once', async (t) => {
  const { h } = await finishedAcme();
  const first = await h.service.runScheduled(h.tenantId, 'job-1');
  t.equal(first?.status, 'succeeded');
  const second = await h.service.runScheduled(h.tenantId, 'job-1');
  t.equal(second, null);
  const scheduled = (await h.service.runs(h.tenantId)).filter((r) => r.trigger === 'scheduled');
  t.equal(scheduled.length, 1);
});

t.test('progress is recorded on the run while it is running', async (t) => {
  const { h } = await finishedAcme();
  const seen: { phase: string; devicesSeen: number }[] = [];
  const realDevices = h.source.devices.bind(h.source);
  h.source.devices = async function* () {
    for await (const page of realDevices()) {
      yield page;
      const running = (await h.service.runs(h.tenantId)).find((r) => r.status === 'running');
      if (running) seen.push({ phase: running.phase, devicesSeen: running.devices_seen });
    }
  };
  await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.ok(seen.length >= 2);
  t.equal(seen[0]?.phase, 'devices');
  t.ok((seen.at(-1)?.devicesSeen ?? 0) > 0, 'devices seen so far is visible mid-run');
});

t.test('an empty device list after a sync removes nothing and fails the run', async (t) => {
  const { h } = await finishedAcme();
  h.source.estate.devices = [];
  const run = await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.equal(run.status, 'failed');
  t.match(run.error, /listed no devices/);
  t.equal((await listAssets(h.db, h.tenantId)).filter((a) => a.removed_at !== null).length, 0);
});
