import t, { type Test } from 'tap';
import { insertAssetChanges } from '../../src/store/asset-changes.js';
import { createTestAdmin } from '../helpers/admin.js';
import { ConsoleBrowser, signInWithToken } from '../helpers/console.js';
import { createTestTenant } from '../helpers/tenants.js';
import { FakeEstate } from '../fakes/ncentral.js';
import { fakeApp, type FakeApp } from '../ncentral/fake-app.js';

const HOSTILE = `<img src=x onerror="alert(1)"> & Co`;

/** Acme (three devices, one with a known serial and MACs), a hostile-named customer, and Globex with 60 devices. */
function estate(): FakeEstate {
  const e = new FakeEstate();
  e.addServiceOrg('Default SO');
  const acme = e.addCustomer('Acme Corp');
  const hostile = e.addCustomer(HOSTILE);
  const globex = e.addCustomer('Globex');
  e.addDevice({ customerId: acme.customerId, longName: 'ACME-LAPTOP-7', deviceClass: 'Laptop - Windows', supportedOs: 'Windows 11', assets: { serialNumber: 'CZC1234XYZ', macAddresses: ['00:1A:2B:3C:4D:5E'] } });
  e.addDevice({ customerId: acme.customerId, longName: 'ACME-SRV-1', deviceClass: 'Server - Windows', supportedOs: 'Windows Server 2022' });
  e.addDevice({ customerId: acme.customerId, longName: 'ACME-MAC-1', deviceClass: 'Laptop - Mac', supportedOs: 'macOS 14' });
  e.addDevice({ customerId: hostile.customerId, longName: `<script>alert("device")</script>` });
  for (let i = 0; i < 60; i++) e.addDevice({ customerId: globex.customerId, longName: `GLOBEX-${String(i).padStart(3, '0')}`, deviceClass: 'Workstation - Windows', supportedOs: 'Windows 10' });
  return e;
}

type Json = Record<string, unknown>;

async function synced(t: Test) {
  const a = await fakeApp(t, { estate: estate() }, undefined, { pageSize: 100 });
  await a.connect();
  const nc = async (method: 'GET' | 'POST', url: string) => {
    const res = await a.app.inject({ method, url: `/admin/v1/ncentral${url}`, headers: a.headers });
    return res.json() as Json & { items?: Json[] };
  };
  await nc('POST', '/verify');
  await nc('POST', '/create-unmatched');
  const run = await nc('POST', '/finish?wait=true');
  if (run['status'] !== 'succeeded') throw new Error(`first sync: ${JSON.stringify(run)}`);
  const viewer = new ConsoleBrowser(a.app);
  await signInWithToken(viewer, (await createTestAdmin(a, a.tenantId, 'viewer')).token);
  return { ...a, viewer, nc, firstRunId: String(run['id']) };
}

/** The ids an HTML list links to, in page order. */
const linked = (body: string, kind: 'asset' | 'client'): string[] => [...body.matchAll(new RegExp(`data-${kind}="([^"]+)"`, 'g'))].map((m) => m[1] ?? '');
const nextLink = (body: string): string | undefined => /href="([^"]+)" rel="next"/.exec(body)?.[1]?.replaceAll('&amp;', '&');
const clientIdOf = (body: string, name: string): string => {
  const id = new RegExp(`<tr data-client="([^"]+)"><td><a [^>]*>${name}</a>`).exec(body)?.[1];
  if (!id) throw new Error(`no client ${name}`);
  return id;
};

t.test('a viewer sees every synced client with its asset counts, hostile names escaped', async (t) => {
  const a = await synced(t);
  const res = await a.viewer.get('/console/inventory/clients');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-security-policy'], "script-src 'self'");
  t.equal(linked(res.body, 'client').length, 3);
  t.notMatch(res.body, '<img src=x', 'the hostile customer name is not markup');
  t.match(res.body, '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co');
  t.match(res.body, /Acme Corp<\/a><\/td>\s*<td>ncentral<\/td><td>[^<]*<\/td>\s*<td class="num">3<\/td><td class="num">0<\/td>/);
  const search = await a.viewer.get('/console/inventory/clients?search=ACME');
  t.equal(linked(search.body, 'client').length, 1, 'search narrows by name, any case');
});

t.test('the Assets page narrows by every filter', async (t) => {
  const a = await synced(t);
  const clients = await a.viewer.get('/console/inventory/clients');
  const acme = clientIdOf(clients.body, 'Acme Corp');
  const count = async (query: string) => linked((await a.viewer.get(`/console/inventory/assets?${query}`)).body, 'asset').length;
  t.equal(await count(`client=${acme}`), 3, 'client');
  t.equal(await count('search=czc1234xyz'), 1, 'serial number, any case');
  t.equal(await count('search=001a2b3c4d5e'), 1, 'MAC without separators');
  t.equal(await count('search=00-1a-2b-3c-4d-5e'), 1, 'MAC with dashes');
  t.equal(await count('search=acme-srv'), 1, 'name');
  t.equal(await count(`client=${acme}&deviceClass=${encodeURIComponent('Laptop - Mac')}`), 1, 'device class');
  t.equal(await count(`client=${acme}&os=${encodeURIComponent('Windows 11')}`), 1, 'OS');
  t.equal(await count('changedSince=2999-01-01T00:00'), 0, 'changed since');
  t.equal(await count('removed=true'), 0, 'nothing removed yet');
  const hostile = await a.viewer.get('/console/inventory/assets?search=device');
  t.notMatch(hostile.body, '<script>alert("device")', 'a hostile device name is not markup');
  t.match(hostile.body, '&lt;script&gt;alert(&quot;device&quot;)&lt;/script&gt;');
});

t.test('Next page walks every asset exactly once', async (t) => {
  const a = await synced(t);
  const seen: string[] = [];
  let url: string | undefined = '/console/inventory/assets';
  let pages = 0;
  while (url && pages < 10) {
    const res = await a.viewer.get(url);
    t.equal(res.statusCode, 200);
    seen.push(...linked(res.body, 'asset'));
    url = nextLink(res.body);
    pages++;
  }
  t.equal(pages, 2, '64 assets in pages of 50');
  t.equal(seen.length, 64);
  t.equal(new Set(seen).size, 64, 'no asset twice');
  t.equal((await a.viewer.get('/console/inventory/assets?cursor=not-a-cursor')).statusCode, 400, 'a tampered page link is a 400 page');
});

t.test('an asset opens with every field and a link to the device in N-central', async (t) => {
  const a = await synced(t);
  const list = await a.viewer.get('/console/inventory/assets?search=CZC1234XYZ');
  const [id] = linked(list.body, 'asset');
  const res = await a.viewer.get(`/console/inventory/assets/${id}`);
  t.equal(res.statusCode, 200);
  const device = a.fake.estate.listDevices().find((d) => d.longName === 'ACME-LAPTOP-7');
  t.match(res.body, '<dd data-field="serialNumber">CZC1234XYZ</dd>');
  t.match(res.body, /<dd data-field="macAddresses">00:1A:2B:3C:4D:5E<\/dd>/i);
  t.match(res.body, '<dd data-field="os">Windows 11</dd>');
  t.match(res.body, `${a.fake.url}/deepLinkAction.do?method=deviceDetails&amp;customerID=${device?.customerId}&amp;deviceID=${device?.deviceId}`);
  t.match(res.body, 'data-kind="created"', 'its history starts with the sync that created it');
});

t.test('a second sync shows the update old → new on the asset and on its run; a removed asset is marked, not hidden', async (t) => {
  const a = await synced(t);
  const e = a.fake.estate;
  const laptop = e.listDevices().find((d) => d.longName === 'ACME-LAPTOP-7');
  const server = e.listDevices().find((d) => d.longName === 'ACME-SRV-1');
  if (!laptop || !server) throw new Error('estate');
  e.renameDevice(laptop.deviceId, 'ACME-LAPTOP-7-RENAMED');
  e.deleteDevice(server.deviceId);
  const hostile = e.listCustomers().find((c) => c.customerName === HOSTILE);
  if (!hostile) throw new Error('estate');
  e.deleteCustomer(hostile.customerId);
  a.clock.advance(60_000);
  const run = await a.nc('POST', '/sync?wait=true');
  t.equal(run['status'], 'succeeded');
  const list = await a.viewer.get('/console/inventory/assets?search=CZC1234XYZ');
  const [laptopId] = linked(list.body, 'asset');
  const asset = await a.viewer.get(`/console/inventory/assets/${laptopId}`);
  t.match(asset.body, /<span data-old>ACME-LAPTOP-7<\/span> <span aria-label="changed to">→<\/span> <span data-new>ACME-LAPTOP-7-RENAMED<\/span>/);
  const removed = await a.viewer.get('/console/inventory/assets?removed=true');
  t.equal(linked(removed.body, 'asset').length, 2, 'the removed server and the deleted customer\'s device are listed under gone');
  t.match(removed.body, 'data-gone="true"');
  const clients = await a.viewer.get('/console/inventory/clients');
  t.equal(linked(clients.body, 'client').length, 3, 'the deleted customer\'s client is still listed');
  t.match(clients.body, /&lt;img src=x[^<]*<\/a> <span class="badge warn" data-gone="true">/, 'and marked gone from N-central');
  t.equal(clients.body.split('data-gone="true"').length - 1, 1, 'only that one');
  const runPage = await a.viewer.get(`/console/ncentral/runs/${String(run['id'])}`);
  t.equal(runPage.statusCode, 200);
  t.equal([...runPage.body.matchAll(/<tr data-change="updated">/g)].length, 1, 'the run lists its one update');
  t.equal([...runPage.body.matchAll(/<tr data-change="removed">/g)].length, 2, 'and its two removals');
  t.match(runPage.body, 'ACME-LAPTOP-7-RENAMED');
});

t.test("a sync run's changes page through Next, each once", async (t) => {
  const a = await synced(t);
  const seen: string[] = [];
  let url: string | undefined = `/console/ncentral/runs/${a.firstRunId}`;
  let pages = 0;
  while (url && pages < 10) {
    const res = await a.viewer.get(url);
    t.equal(res.statusCode, 200);
    seen.push(...[...res.body.matchAll(/<tr data-change="created"><td>[^<]*<\/td>\s*<td><a href="\/console\/inventory\/assets\/([^"]+)"/g)].map((m) => m[1] ?? ''));
    url = nextLink(res.body);
    pages++;
  }
  t.equal(pages, 2);
  t.equal(new Set(seen).size, 64, 'all 64 creates, none twice');
});

t.test("another tenant's operator sees none of it and gets 404 for its ids", async (t) => {
  const a = await synced(t);
  const list = await a.viewer.get('/console/inventory/assets?search=CZC1234XYZ');
  const [assetId] = linked(list.body, 'asset');
  const acme = clientIdOf((await a.viewer.get('/console/inventory/clients')).body, 'Acme Corp');
  const other = await createTestTenant(a);
  const stranger = new ConsoleBrowser(a.app);
  await signInWithToken(stranger, (await createTestAdmin(a, other.tenantId, 'admin')).token);
  const clients = await stranger.get('/console/inventory/clients');
  t.equal(clients.statusCode, 200);
  t.equal(linked(clients.body, 'client').length, 0);
  t.equal(linked((await stranger.get('/console/inventory/assets')).body, 'asset').length, 0);
  t.equal((await stranger.get(`/console/inventory/assets/${assetId}`)).statusCode, 404);
  t.equal((await stranger.get(`/console/inventory/assets?client=${acme}`)).statusCode, 404);
  t.equal((await stranger.get(`/console/ncentral/runs/${a.firstRunId}`)).statusCode, 404);
  const exported = await stranger.get('/console/inventory/assets/export?format=ndjson');
  t.equal(exported.statusCode, 200);
  t.equal(exported.body, '', 'the export holds none of the other tenant');
});

t.test('the export holds every asset matching the filters', async (t) => {
  const a = await synced(t);
  const all = await a.viewer.get('/console/inventory/assets/export?format=ndjson');
  t.equal(all.statusCode, 200);
  t.match(all.headers['content-type'], 'application/x-ndjson');
  t.equal(all.body.trim().split('\n').length, 64);
  const csv = await a.viewer.get('/console/inventory/assets/export?format=csv&search=GLOBEX');
  t.match(csv.headers['content-type'], 'text/csv');
  t.equal(csv.body.trim().split('\n').length, 61, 'a header and the 60 Globex assets');
});

t.test('signed-out visitors are sent to sign in', async (t) => {
  const a = await fakeApp(t);
  const res = await a.app.inject({ method: 'GET', url: '/console/inventory/assets' });
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/console\/sign-in\?next=/);
});

t.test('hostile query strings from a signed-in viewer get a page or a 4xx, never a 500', async (t) => {
  const a = await synced(t);
  const long = 'x'.repeat(20_000);
  const targets = [
    '/console/inventory/clients?search=%00&cursor=%ff%fe',
    `/console/inventory/clients?search=${long}&cursor=${long}`,
    '/console/inventory/assets?search=%00%00&deviceClass=%00&os=%ff&removed=maybe&changedSince=99999-99-99T99:99',
    "/console/inventory/assets?client=' OR 1=1 --",
    '/console/inventory/assets?client=00000000-0000-4000-8000-000000000000',
    `/console/inventory/assets?search=${long}&cursor=eyJ2IjoxLCJvIjoiYXNzZXRzIiwiayI6WyI5OTk5OTk5OTk5OTk5OTk5OTk5OTkiLCJ4Il19`,
    '/console/inventory/assets/export?format=exe&search=%00&changedSince=x',
    '/console/inventory/assets/%00',
    '/console/inventory/assets/..%2f..%2fpackage.json',
    `/console/ncentral/runs/${a.firstRunId}?cursor=${long}`,
    `/console/ncentral/runs/${a.firstRunId}?cursor=eyJ2IjoxLCJvIjoiY2hhbmdlcyIsImsiOlsiLTEiXX0`,
  ];
  for (const target of targets) {
    const res = await a.viewer.get(target);
    t.ok(res.statusCode < 500, `${target.slice(0, 120)} answered ${res.statusCode}`);
    if (res.statusCode >= 400) t.match(res.headers['content-type'], 'text/html', 'an error page, not JSON');
  }
});

t.test("an asset's long history pages through Older changes, newest first", async (t) => {
  const a = await synced(t);
  const [id = ''] = linked((await a.viewer.get('/console/inventory/assets?search=CZC1234XYZ')).body, 'asset');
  // 60 later updates of the same asset (as 60 nightly renames would write them), then the created record: 61.
  await a.deps.database.db.transaction().execute(async (trx) => {
    for (let i = 1; i <= 60; i++) {
      await insertAssetChanges(trx, a.tenantId, a.firstRunId, [{ assetId: id, kind: 'updated', detail: { changes: { name: { old: `N${i - 1}`, new: `N${i}` } } } }], new Date(a.clock.now().getTime() + i * 60_000));
    }
  });
  const first = await a.viewer.get(`/console/inventory/assets/${id}`);
  const newest = [...first.body.matchAll(/<span data-new>(N\d+)<\/span>/g)].map((m) => m[1]);
  t.equal(newest.length, 50);
  t.equal(newest[0], 'N60', 'newest first');
  const older = nextLink(first.body);
  t.ok(older, 'an Older changes link');
  const second = await a.viewer.get(older ?? '');
  t.equal(second.statusCode, 200);
  const rest = [...second.body.matchAll(/<span data-new>(N\d+)<\/span>/g)].map((m) => m[1]);
  t.same(rest, ['N10', 'N9', 'N8', 'N7', 'N6', 'N5', 'N4', 'N3', 'N2', 'N1'], 'the older ones, each once');
  t.match(second.body, 'data-kind="created"', 'down to its creation');
  t.match(second.body, '<dd data-field="serialNumber">CZC1234XYZ</dd>', 'the fields stay on every page');
  t.notMatch(second.body, 'rel="next"');
});
