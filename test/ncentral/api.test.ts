import t, { type Test } from 'tap';
import { listAssets } from '../../src/store/assets.js';
import { listPortalClients } from '../../src/store/portal-clients.js';
import { createTestAdmin } from '../helpers/admin.js';
import { LOOPBACK_HOSTS } from '../helpers/ncentral.js';
import { dumpDatabase, fakeApp, type FakeApp } from './fake-app.js';

type Json = Record<string, unknown>;

const call = async (a: FakeApp, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: Json) => {
  const res = await a.app.inject({ method, url: `/admin/v1/ncentral${url}`, headers: a.headers, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json() as Json & { items?: Json[] }, raw: res.body };
};

const unitId = async (a: FakeApp, name: string): Promise<string> => {
  const list = await call(a, 'GET', '/customers');
  const unit = list.body.items?.find((u) => String(u['name']).trim() === name);
  if (!unit) throw new Error(`no unit ${name}`);
  return String(unit['id']);
};

async function verified(t: Test, options = {}) {
  const a = await fakeApp(t, options);
  await a.connect();
  const v = await call(a, 'POST', '/verify');
  t.equal(v.body['ok'], true, 'verify succeeds');
  return a;
}

t.test('connecting without ENCRYPTION_KEY is refused with a clear message', async (t) => {
  const a = await fakeApp(t, {}, { NCENTRAL_ALLOWED_HOSTS: LOOPBACK_HOSTS });
  const res = await call(a, 'PUT', '/connection', { url: a.fake.url, token: a.fake.userApiToken });
  t.equal(res.status, 503);
  t.match(res.body['message'], /ENCRYPTION_KEY is not set/);
});

t.test('the connection is shown without its token', async (t) => {
  const a = await fakeApp(t);
  await a.connect({ assetsUnderParent: false });
  const res = await call(a, 'GET', '/connection');
  t.equal(res.status, 200);
  t.equal(res.body['url'], a.fake.url);
  t.equal(res.body['tokenConfigured'], true);
  t.equal(res.body['assetsUnderParent'], false);
  t.equal(res.body['syncTime'], '20:00');
  t.notOk(res.raw.includes(a.fake.userApiToken));
});

t.test('a plain-http N-central address is refused', async (t) => {
  const a = await fakeApp(t);
  const res = await call(a, 'PUT', '/connection', { url: 'http://nc.example.com', token: 'x.y.z' });
  t.equal(res.status, 400);
  t.match(res.body['message'], /https/);
});

t.test('verify names a bad token', async (t) => {
  const a = await fakeApp(t);
  await a.connect();
  a.fake.rotateUserApiToken();
  const res = await call(a, 'POST', '/verify');
  t.equal(res.body['ok'], false);
  t.match(res.body['problems'], [{ code: 'badToken' }]);
});

t.test('verify names customers visible but no devices', async (t) => {
  const a = await fakeApp(t, { permissions: { customers: true, devices: false } });
  await a.connect();
  const res = await call(a, 'POST', '/verify');
  t.equal(res.body['ok'], false);
  t.match(res.body['problems'], [{ code: 'noDeviceAccess' }]);
});

t.test('verify names a self-signed certificate', async (t) => {
  const a = await fakeApp(t, { tls: 'self-signed' });
  const res0 = await call(a, 'PUT', '/connection', { url: a.fake.url, token: a.fake.userApiToken });
  t.equal(res0.status, 200);
  const res = await call(a, 'POST', '/verify');
  t.equal(res.body['ok'], false);
  t.match(res.body['problems'], [{ code: 'tls' }]);
});

t.test('after verify every customer and site is listed as unmatched', async (t) => {
  const a = await verified(t);
  const list = await call(a, 'GET', '/customers');
  t.equal(list.body.items?.length, 5);
  t.ok(list.body.items?.every((u) => u['state'] === 'unmatched'));
});

t.test('auto-match matches identical names ignoring case and surrounding spaces', async (t) => {
  const a = await verified(t);
  const acme = await a.addClient('acme corp');
  const globex = await a.addClient('Globex');
  const res = await call(a, 'POST', '/auto-match');
  t.equal(res.body['matched'], 2);
  const items = (await call(a, 'GET', '/customers')).body.items ?? [];
  t.equal(items.find((u) => u['name'] === 'Acme Corp')?.['portalClientId'], acme);
  t.equal(items.find((u) => String(u['name']).trim() === 'GLOBEX')?.['portalClientId'], globex);
  t.equal(items.find((u) => u['name'] === 'Initech')?.['state'], 'unmatched');
});

t.test('auto-match leaves an ambiguous name for a person and says why', async (t) => {
  const a = await verified(t);
  await a.addClient('Initech');
  await a.addClient('INITECH ');
  const res = await call(a, 'POST', '/auto-match');
  t.equal(res.body['matched'], 0);
  t.match(res.body['ambiguous'], [{ name: 'Initech', note: /2 portal clients are named "Initech"/ }]);
  const initech = (await call(a, 'GET', '/customers')).body.items?.find((u) => u['name'] === 'Initech');
  t.equal(initech?.['state'], 'unmatched');
  t.match(initech?.['note'], /match one by hand/);
});

t.test('match, create, exclude and un-exclude by hand', async (t) => {
  const a = await verified(t);
  const client = await a.addClient('Some PSA name');
  const acme = await unitId(a, 'Acme Corp');
  const globex = await unitId(a, 'GLOBEX');
  const initech = await unitId(a, 'Initech');
  t.equal((await call(a, 'POST', `/customers/${acme}/match`, { portalClientId: client })).body['state'], 'matched');
  t.equal((await call(a, 'POST', `/customers/${globex}/create`)).body['state'], 'to_create');
  t.equal((await call(a, 'POST', `/customers/${initech}/exclude`)).body['state'], 'excluded');
  t.equal((await call(a, 'POST', `/customers/${initech}/unexclude`)).body['state'], 'unmatched');
  const missing = await call(a, 'POST', `/customers/${acme}/match`, { portalClientId: crypto.randomUUID() });
  t.equal(missing.status, 404);
});

t.test('create-unmatched marks every unmatched customer to create', async (t) => {
  const a = await verified(t);
  await a.addClient('Acme Corp');
  await call(a, 'POST', '/auto-match');
  const res = await call(a, 'POST', '/create-unmatched');
  t.equal(res.body['toCreate'], 2);
});

t.test('preview counts are exactly what finish then does', async (t) => {
  const a = await verified(t);
  await a.addClient('Acme Corp');
  await call(a, 'POST', '/auto-match');
  await call(a, 'POST', `/customers/${await unitId(a, 'GLOBEX')}/create`);
  await call(a, 'POST', `/customers/${await unitId(a, 'Initech')}/exclude`);
  const preview = (await call(a, 'GET', '/preview')).body;
  t.same(preview, { create: 1, match: 1, exclude: 1, unmatched: 0, devices: 5 });
  const before = (await listPortalClients(a.deps.database.db, a.tenantId)).length;
  const run = await call(a, 'POST', '/finish?wait=true');
  t.equal(run.status, 200);
  t.equal(run.body['status'], 'succeeded');
  t.equal(run.body['clientsCreated'], preview['create']);
  t.equal((await listPortalClients(a.deps.database.db, a.tenantId)).length - before, preview['create']);
  t.equal(Number(run.body['created']) + Number(run.body['linked']), preview['devices']);
  t.equal((await listAssets(a.deps.database.db, a.tenantId)).length, preview['devices']);
});

t.test('an access token expiring mid-sync is renewed and the run completes', async (t) => {
  const a = await verified(t);
  await call(a, 'POST', '/create-unmatched');
  a.hooks.afterDevicePage = (n) => {
    if (n === 1) a.fake.expireAllTokens();
  };
  const run = await call(a, 'POST', '/finish?wait=true');
  t.equal(run.body['status'], 'succeeded');
  t.equal(run.body['created'], 6);
  t.ok(a.fake.requests.some((r) => r.status === 401), 'N-central answered 401 once the tokens expired');
});

t.test('429 and 503 answers are retried and the run still completes', async (t) => {
  const a = await verified(t);
  await call(a, 'POST', '/create-unmatched');
  a.fake.options.faults = { rate429: 0.2, rate503: 0.2 };
  const run = await call(a, 'POST', '/finish?wait=true');
  a.fake.options.faults = {};
  t.equal(run.body['status'], 'succeeded');
  t.equal(run.body['created'], 6);
  t.ok(Number(run.body['retries']) > 0, `retries recorded: ${String(run.body['retries'])}`);
});

t.test('renames, moves and removals in N-central are reflected after a re-sync', async (t) => {
  const a = await verified(t);
  await call(a, 'POST', '/create-unmatched');
  await call(a, 'POST', '/finish?wait=true');
  const e = a.fake.estate;
  const [first, second, third] = e.listDevices();
  const globex = e.listCustomers().find((c) => c.customerName.trim() === 'GLOBEX');
  if (!first || !second || !third || !globex) throw new Error('estate');
  e.renameDevice(first.deviceId, 'ACME-DC01-NEW');
  e.moveDevice(second.deviceId, { customerId: globex.customerId });
  e.deleteDevice(third.deviceId);
  const run = (await call(a, 'POST', '/sync?wait=true')).body;
  t.equal(run['status'], 'succeeded');
  t.equal(run['updated'], 2);
  t.equal(run['removed'], 1);
  t.equal(run['created'], 0);
  const assets = await listAssets(a.deps.database.db, a.tenantId);
  t.equal(assets.length, 6, 'nothing duplicated');
  t.equal(assets.find((x) => x.external_id === String(first.deviceId))?.name, 'ACME-DC01-NEW');
  const globexClient = (await call(a, 'GET', '/customers')).body.items?.find((u) => String(u['name']).trim() === 'GLOBEX')?.['portalClientId'];
  t.equal(assets.find((x) => x.external_id === String(second.deviceId))?.portal_client_id, globexClient);
  t.ok(assets.find((x) => x.external_id === String(third.deviceId))?.removed_at);
});

t.test('sync now answers 202 with the run, which can then be followed to its end', async (t) => {
  const a = await verified(t);
  await call(a, 'POST', '/create-unmatched');
  await call(a, 'POST', '/finish?wait=true');
  a.clock.advance(60_000);
  const started = await call(a, 'POST', '/sync');
  t.equal(started.status, 202);
  t.equal(started.body['trigger'], 'manual');
  // The answer shows the run as it is when answered: a six-device estate can already be done by then.
  t.ok(['running', 'succeeded'].includes(String(started.body['status'])), 'the answer is the recorded run');
  let run = started.body;
  for (let i = 0; i < 200 && run['status'] === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 25));
    run = (await call(a, 'GET', `/runs/${String(started.body['id'])}`)).body;
  }
  t.equal(run['status'], 'succeeded');
  t.equal(run['unchanged'], 6);
  const again = await call(a, 'GET', '/runs');
  t.equal(again.body.items?.[0]?.['id'], started.body['id']);
});

t.test('a tenant admin cannot act on another tenant', async (t) => {
  const a = await verified(t);
  const res = await call(a, 'GET', `/runs?tenant=${crypto.randomUUID()}`);
  t.equal(res.status, 403);
});

t.test('a service-wide admin must name the tenant', async (t) => {
  const a = await verified(t);
  const root = await createTestAdmin(a);
  const res = await a.app.inject({ method: 'GET', url: '/admin/v1/ncentral/connection', headers: root.headers });
  t.equal(res.statusCode, 400);
  const ok = await a.app.inject({ method: 'GET', url: `/admin/v1/ncentral/connection?tenant=${a.tenantId}`, headers: root.headers });
  t.equal(ok.statusCode, 200);
});

t.test('the User-API token is never in logs, API responses or the database in clear', async (t) => {
  const a = await fakeApp(t);
  const token = a.fake.userApiToken;
  const responses: string[] = [];
  const record = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: Json) => {
    const r = await call(a, method, url, payload);
    responses.push(r.raw);
    return r;
  };
  await record('PUT', '/connection', { url: a.fake.url, token, caPem: a.fake.caPem });
  await record('GET', '/connection');
  await record('POST', '/verify');
  await record('POST', '/create-unmatched');
  await record('GET', '/preview');
  await record('POST', '/finish?wait=true');
  await record('GET', '/runs');
  // A failing verify (the token was revoked) must not echo it either.
  a.fake.rotateUserApiToken();
  const failed = await record('POST', '/verify');
  t.equal(failed.body['ok'], false);
  const dump = await dumpDatabase(a);
  t.ok(dump.includes('ncentral-token') || dump.includes('v1.'), 'the sealed token is stored');
  t.notOk(a.logLines.some((l) => l.includes(token)), 'not in the logs');
  t.notOk(responses.some((r) => r.includes(token)), 'not in any response');
  t.notOk(dump.includes(token), 'not in the database in clear');
  // Nor any of its parts (a JWT's signature alone is the secret).
  const signature = token.split('.').pop() ?? token;
  t.notOk(dump.includes(signature) || a.logLines.some((l) => l.includes(signature)));
});
