import https from 'node:https';
import t from 'tap';
import { generateEstate, startFakeNcentral, templateOf, type FakeNcentral, type FakeNcentralOptions } from '../fakes/ncentral.js';
import { testClock } from '../helpers/clock.js';

/** The fake's JSON as these tests read it (a loose view; the assertions check the shapes). */
interface Body {
  message?: string;
  customerName?: string;
  tokens: { access: { token: string; expirySeconds: number }; refresh: { token: string } };
  data: Row[] & Row;
  pageNumber: number;
  pageSize: number;
  totalItems: number;
  _links: { nextPage: string | null };
  _warning: string | null;
}
interface Row {
  [key: string]: unknown;
  deviceId: number | string;
  customerId: number | string;
  siteId: number | string | null;
  customerName: string;
  longName: string;
  orgUnitType: string;
  lastApplianceCheckinTime: string | null;
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Body;
}

interface TestLike {
  teardown(fn: () => unknown): void;
}

function raw(fake: FakeNcentral, method: string, path: string, options: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, fake.url);
    const req = https.request(url, { method, ca: fake.caPem, headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: (text === '' ? {} : JSON.parse(text)) as Body });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

async function fakeWith(t: TestLike, options: Partial<FakeNcentralOptions> = {}) {
  const fake = await startFakeNcentral({ estate: generateEstate({ customers: 4, sitesPerCustomer: 2, devices: 30, seed: 5 }), ...options });
  t.teardown(() => fake.close());
  const auth = await raw(fake, 'POST', '/api/auth/authenticate', { token: fake.userApiToken });
  return { fake, auth, access: auth.body.tokens?.access.token ?? '', refresh: auth.body.tokens?.refresh.token ?? '' };
}

t.test('authenticate exchanges the User-API token for access and refresh tokens in the documented shape', async (t) => {
  const { auth } = await fakeWith(t, { accessTokenTtlSeconds: 3600 });
  t.equal(auth.status, 200);
  t.match(auth.body, {
    tokens: { access: { token: /^eyJ/, type: 'Bearer', expirySeconds: 3600 }, refresh: { token: /^eyJ/, type: 'Body', expirySeconds: 90000 } },
    refresh: '/api/auth/refresh',
    validate: '/api/auth/validate',
  });
});

t.test('authenticate with any other token answers 401', async (t) => {
  const { fake } = await fakeWith(t);
  t.equal((await raw(fake, 'POST', '/api/auth/authenticate', { token: 'eyJx.y.z' })).status, 401);
  t.equal((await raw(fake, 'POST', '/api/auth/authenticate')).status, 401);
});

t.test('the refresh token, sent as a text/plain body, buys a new pair once', async (t) => {
  const { fake, refresh, access } = await fakeWith(t);
  const renewed = await raw(fake, 'POST', '/api/auth/refresh', { body: refresh, headers: { 'content-type': 'text/plain' } });
  t.equal(renewed.status, 200);
  t.not(renewed.body.tokens.access.token, access);
  t.equal((await raw(fake, 'POST', '/api/auth/refresh', { body: refresh, headers: { 'content-type': 'text/plain' } })).status, 401);
});

t.test('validate confirms a live access token with the documented message', async (t) => {
  const { fake, access } = await fakeWith(t);
  t.same((await raw(fake, 'GET', '/api/auth/validate', { token: access })).body, { message: 'The token is valid.' });
});

t.test('an access token answers 401 once its TTL has passed, and X-ACCESS-EXPIRY-OVERRIDE can only shorten it', async (t) => {
  const clock = testClock();
  const { fake, access } = await fakeWith(t, { clock, accessTokenTtlSeconds: 120 });
  t.equal((await raw(fake, 'GET', '/api/customers', { token: access })).status, 200);
  clock.advance(120_000);
  t.equal((await raw(fake, 'GET', '/api/customers', { token: access })).status, 401);
  const short = await raw(fake, 'POST', '/api/auth/authenticate', { token: fake.userApiToken, headers: { 'x-access-expiry-override': '30s' } });
  t.equal(short.body.tokens.access.expirySeconds, 30);
  const long = await raw(fake, 'POST', '/api/auth/authenticate', { token: fake.userApiToken, headers: { 'x-access-expiry-override': '5h' } });
  t.equal(long.body.tokens.access.expirySeconds, 120);
});

t.test('expireAllTokens drops every access and refresh token, as a server restart does', async (t) => {
  const { fake, access, refresh } = await fakeWith(t);
  fake.expireAllTokens();
  t.equal((await raw(fake, 'GET', '/api/customers', { token: access })).status, 401);
  t.equal((await raw(fake, 'POST', '/api/auth/refresh', { body: refresh })).status, 401);
});

t.test('/api and /api/health need no token; /api/server-info and its extra want the access token, as the specification says', async (t) => {
  const { fake, access } = await fakeWith(t, { version: '2024.6.0.19' });
  t.match((await raw(fake, 'GET', '/api')).body, { _links: { 'server-info': '/api/server-info', devices: '/api/devices' } });
  t.match((await raw(fake, 'GET', '/api/health')).body, { currentTime: /Z$/ });
  const anonymous = await raw(fake, 'GET', '/api/server-info');
  t.equal(anonymous.status, 401);
  t.match(anonymous.body, { status: 401, message: /^\[ID=\w+\] UNAUTHORIZED: UnauthorizedException: / });
  t.equal((await raw(fake, 'GET', '/api/server-info/extra')).status, 401);
  t.match((await raw(fake, 'GET', '/api/server-info', { token: access })).body, { version: '3.1.0', ncentral: '2024.6.0.19' });
  t.match((await raw(fake, 'GET', '/api/server-info/extra', { token: access })).body, { data: { _extra: { 'Installation: Deployment Product Version': '2024.6.0.19' } } });
});

t.test('versionOnlyInExtra answers ncentral: null as N-able\'s example does; version null leaves both routes without one', async (t) => {
  const extraOnly = await fakeWith(t, { version: '2023.4.0.3', versionOnlyInExtra: true });
  t.match((await raw(extraOnly.fake, 'GET', '/api/server-info', { token: extraOnly.access })).body, { ncentral: null });
  t.match((await raw(extraOnly.fake, 'GET', '/api/server-info/extra', { token: extraOnly.access })).body, { data: { _extra: { 'Installation: Deployment Product Version': '2023.4.0.3' } } });
  const none = await fakeWith(t, { version: null });
  t.match((await raw(none.fake, 'GET', '/api/server-info', { token: none.access })).body, { ncentral: null });
  t.equal((await raw(none.fake, 'GET', '/api/server-info/extra', { token: none.access })).status, 404);
});

t.test('customer, site and filter lists answer only {data, totalItems}; device lists the full envelope', async (t) => {
  const { fake, access } = await fakeWith(t);
  for (const path of ['/api/customers', '/api/sites', '/api/device-filters', '/api/service-orgs']) {
    t.same(Object.keys((await raw(fake, 'GET', `${path}?pageSize=3`, { token: access })).body).sort(), ['data', 'totalItems'], path);
  }
  t.same(Object.keys((await raw(fake, 'GET', '/api/customers?pageSize=3', { token: access })).body).sort(), ['data', 'totalItems']);
  const full = await fakeWith(t, { fullEnvelopes: true });
  t.ok('totalPages' in (await raw(full.fake, 'GET', '/api/customers?pageSize=3', { token: full.access })).body);
});

t.test('without sortBy the order changes from request to request; sortBy on the id gives a stable order either way', async (t) => {
  const { fake, access } = await fakeWith(t);
  const ids = async (query: string) => ((await raw(fake, 'GET', `/api/devices?pageSize=100${query}`, { token: access })).body.data as Row[]).map((d) => Number(d.deviceId));
  const sorted = fake.estate.listDevices().map((d) => d.deviceId);
  const unsorted = [await ids(''), await ids(''), await ids('')];
  t.ok(unsorted.some((order) => order.join() !== sorted.join()), 'an unsorted list is not in id order');
  t.not(unsorted[0]?.join(), unsorted[1]?.join(), 'and not the same order twice');
  t.same(await ids('&sortBy=deviceId&sortOrder=asc'), sorted);
  t.same(await ids('&sortBy=deviceId&sortOrder=DESC'), [...sorted].reverse());
  t.equal((await raw(fake, 'GET', '/api/devices?sortBy=noSuchField', { token: access })).status, 400);
  t.equal((await raw(fake, 'GET', '/api/devices?sortBy=deviceId&sortOrder=sideways', { token: access })).status, 400);
});

t.test('single org-unit GETs answer unwrapped; a device and its assets come wrapped in data', async (t) => {
  const { fake, access } = await fakeWith(t);
  const customer = fake.estate.listCustomers()[0];
  const site = fake.estate.listSites()[0];
  const so = fake.estate.listServiceOrgs()[0];
  const device = fake.estate.listDevices()[0];
  t.match((await raw(fake, 'GET', `/api/customers/${customer?.customerId}`, { token: access })).body, { customerId: customer?.customerId, customerName: customer?.customerName });
  t.match((await raw(fake, 'GET', `/api/sites/${site?.siteId}`, { token: access })).body, { siteId: site?.siteId });
  t.match((await raw(fake, 'GET', `/api/service-orgs/${so?.soId}`, { token: access })).body, { soId: so?.soId });
  t.match((await raw(fake, 'GET', `/api/org-units/${customer?.customerId}`, { token: access })).body, { orgUnitId: customer?.customerId, orgUnitType: 'CUSTOMER' });
  t.match((await raw(fake, 'GET', `/api/devices/${device?.deviceId}`, { token: access })).body, { data: { deviceId: device?.deviceId } });
});

t.test('a deleted device answers 404, a 200 whose assets say deleted, 401 or 403, as configured', async (t) => {
  const answers: Record<string, [number, string | null]> = {};
  for (const goneDevices of ['notFound', 'deletedFlag', 'unauthorized', 'forbidden'] as const) {
    const { fake, access } = await fakeWith(t, { goneDevices });
    const device = fake.estate.listDevices()[0];
    fake.estate.deleteDevice(device?.deviceId ?? 0);
    const byId = await raw(fake, 'GET', `/api/devices/${device?.deviceId}`, { token: access });
    const assets = await raw(fake, 'GET', `/api/devices/${device?.deviceId}/assets`, { token: access });
    answers[goneDevices] = [byId.status, assets.status === 200 ? String((assets.body.data as unknown as { device: { deleted: string } }).device.deleted) : null];
  }
  t.same(answers, { notFound: [404, null], deletedFlag: [200, 'true'], unauthorized: [401, null], forbidden: [403, null] });
});

t.test('logout ends the session: both tokens stop working', async (t) => {
  const { fake, access, refresh } = await fakeWith(t);
  t.equal(fake.openSessions(), 1);
  t.equal((await raw(fake, 'POST', '/api/auth/logout', { token: access })).status, 200);
  t.equal(fake.openSessions(), 0);
  t.equal((await raw(fake, 'GET', '/api/customers', { token: access })).status, 401);
  t.equal((await raw(fake, 'POST', '/api/auth/refresh', { body: refresh })).status, 401);
});

t.test('a list answers in the documented page envelope', async (t) => {
  const { fake, access } = await fakeWith(t);
  const page = await raw(fake, 'GET', '/api/devices?pageNumber=2&pageSize=10', { token: access });
  t.same(Object.keys(page.body).sort(), ['_links', '_warning', 'data', 'itemCount', 'pageNumber', 'pageSize', 'totalItems', 'totalPages']);
  t.match(page.body, {
    pageNumber: 2,
    pageSize: 10,
    itemCount: 10,
    totalItems: 30,
    totalPages: 3,
    _links: {
      firstPage: '/api/devices?pageNumber=1&pageSize=10',
      previousPage: '/api/devices?pageNumber=1&pageSize=10',
      nextPage: '/api/devices?pageNumber=3&pageSize=10',
      lastPage: '/api/devices?pageNumber=3&pageSize=10',
    },
    _warning: null,
  });
  const last = await raw(fake, 'GET', '/api/devices?pageNumber=3&pageSize=10', { token: access });
  t.equal(last.body._links.nextPage, null);
  const beyond = await raw(fake, 'GET', '/api/devices?pageNumber=9&pageSize=10', { token: access });
  t.same(beyond.body.data, []);
  t.equal((await raw(fake, 'GET', '/api/devices?pageNumber=0', { token: access })).status, 400);
});

t.test('the default page size is 50 and larger sizes are clamped to the maximum with a warning', async (t) => {
  const { fake, access } = await fakeWith(t, { maxPageSize: 8 });
  t.equal((await raw(fake, 'GET', '/api/customers', { token: access })).body.data.length, 4);
  t.equal((await raw(fake, 'GET', '/api/devices', { token: access })).body.pageSize, 8);
  const clamped = await raw(fake, 'GET', '/api/devices?pageSize=1000', { token: access });
  t.equal(clamped.body.pageSize, 8);
  t.equal(clamped.body.data.length, 8);
  t.match(clamped.body._warning, /maximum of 8/);
});

t.test('devices carry the documented fields, with org-unit ids and zone-less check-ins', async (t) => {
  const { fake, access } = await fakeWith(t);
  const page = await raw(fake, 'GET', '/api/devices?pageSize=30', { token: access });
  const device = page.body.data[0];
  if (device === undefined) throw new Error('no device');
  for (const field of ['deviceId', 'uri', 'longName', 'discoveredName', 'deviceClass', 'isProbe', 'supportedOs', 'orgUnitId', 'soId', 'customerId', 'customerName', 'siteId', 'siteName', 'lastApplianceCheckinTime']) {
    t.ok(field in device, field);
  }
  t.type(device.deviceId, 'number');
  t.ok(page.body.data.some((d: { lastApplianceCheckinTime: string | null }) => d.lastApplianceCheckinTime !== null && /\d$/.test(d.lastApplianceCheckinTime)), 'some check-ins have no zone');
  for (const d of page.body.data) t.equal(d.orgUnitId, d.siteId ?? d.customerId);
});

t.test('idsAsStrings sends every id as a JSON string', async (t) => {
  const { fake, access } = await fakeWith(t, { idsAsStrings: true });
  const device = (await raw(fake, 'GET', '/api/devices', { token: access })).body.data[0];
  t.type(device?.deviceId, 'string');
  t.type(device?.customerId, 'string');
  t.type((await raw(fake, 'GET', '/api/customers', { token: access })).body.data[0]?.parentId, 'string');
});

t.test('assets use lower-case sections and string values; a probe has none (404)', async (t) => {
  const estate = generateEstate({ customers: 1, devices: 0 });
  const customerId = estate.listCustomers()[0]?.customerId ?? 0;
  const pc = estate.addDevice({ customerId });
  const probe = estate.addDevice({ customerId, isProbe: true });
  const { fake, access } = await fakeWith(t, { estate });
  const assets = await raw(fake, 'GET', `/api/devices/${pc.deviceId}/assets`, { token: access });
  t.match(assets.body.data, { computersystem: { serialnumber: String, model: String, manufacturer: String }, os: { reportedos: String }, networkadapter: { list: [{ macaddress: String }] } });
  t.equal((await raw(fake, 'GET', `/api/devices/${probe.deviceId}/assets`, { token: access })).status, 404);
  t.equal((await raw(fake, 'GET', `/api/devices/${pc.deviceId}`, { token: access })).body.data.deviceId, pc.deviceId);
  t.equal((await raw(fake, 'GET', '/api/devices/1', { token: access })).status, 404);
});

t.test('renames, moves, deletes and additions in the estate show in the next answers', async (t) => {
  const { fake, access } = await fakeWith(t);
  const [first, second] = fake.estate.listCustomers();
  const device = fake.estate.listDevices()[0];
  if (!first || !second || !device) throw new Error('estate too small');
  fake.estate.renameCustomer(first.customerId, 'Renamed Ltd');
  fake.estate.moveDevice(device.deviceId, { customerId: second.customerId });
  const moved = (await raw(fake, 'GET', `/api/devices/${device.deviceId}`, { token: access })).body.data;
  t.equal(moved.customerId, second.customerId);
  t.equal(moved.siteId, null);
  t.equal((await raw(fake, 'GET', `/api/customers/${first.customerId}`, { token: access })).body.customerName, 'Renamed Ltd');
  fake.estate.deleteDevice(device.deviceId);
  t.equal((await raw(fake, 'GET', `/api/devices/${device.deviceId}`, { token: access })).status, 404);
  const added = fake.estate.addDevice({ customerId: first.customerId, longName: 'NEW-PC' });
  const all = (await raw(fake, 'GET', '/api/devices?pageSize=100&sortBy=deviceId', { token: access })).body;
  t.equal(all.totalItems, 30);
  t.equal(all.data.at(-1)?.longName, 'NEW-PC');
  t.equal(all.data.at(-1)?.deviceId, added.deviceId);
});

t.test('org units list SOs, customers and sites with their types, and their children and devices', async (t) => {
  const { fake, access } = await fakeWith(t);
  const units = (await raw(fake, 'GET', '/api/org-units?pageSize=100', { token: access })).body.data;
  t.same([...new Set(units.map((u: { orgUnitType: string }) => u.orgUnitType))].sort(), ['CUSTOMER', 'SITE', 'SO']);
  const customer = fake.estate.listCustomers()[0];
  const children = (await raw(fake, 'GET', `/api/org-units/${customer?.customerId}/children`, { token: access })).body.data;
  t.equal(children.length, 2);
  const devices = (await raw(fake, 'GET', `/api/org-units/${customer?.customerId}/devices?pageSize=100`, { token: access })).body.data;
  t.equal(devices.length, fake.estate.listDevices().filter((d) => d.customerId === customer?.customerId).length);
});

t.test('requests above the per-endpoint concurrency limit answer 429 and are counted', async (t) => {
  const { fake, access } = await fakeWith(t, { maxConcurrentPerEndpoint: 2, faults: { latencyMs: 300, retryAfter: true } });
  const ids = fake.estate.listDevices().slice(0, 5).map((d) => d.deviceId);
  const answers = await Promise.all(ids.map((id) => raw(fake, 'GET', `/api/devices/${id}`, { token: access })));
  t.equal(answers.filter((a) => a.status === 429).length, 3);
  t.equal(answers.find((a) => a.status === 429)?.headers['retry-after'], '1');
  // Two held, and each rejected request counted as a third on arrival before it was turned away.
  t.equal(fake.maxObservedConcurrency('/api/devices/{id}'), 3);
  t.equal(fake.maxObservedConcurrency('/api/devices/123'), 3);
});

t.test('random faults answer 429 and 503 at about the configured rates', async (t) => {
  const { fake, access } = await fakeWith(t, { faults: { rate429: 0.1, rate503: 0.1 }, seed: 3 });
  const answers: number[] = [];
  for (let i = 0; i < 200; i += 1) answers.push((await raw(fake, 'GET', '/api/health', { token: access })).status);
  const share = (status: number) => answers.filter((s) => s === status).length / answers.length;
  t.ok(share(429) > 0.04 && share(429) < 0.18, `429 share ${share(429)}`);
  t.ok(share(503) > 0.04 && share(503) < 0.18, `503 share ${share(503)}`);
});

t.test('permission switches: no customers → 403, no devices → an empty device list and 403 by id', async (t) => {
  const { fake, access } = await fakeWith(t, { permissions: { customers: false, devices: false } });
  t.equal((await raw(fake, 'GET', '/api/customers', { token: access })).status, 403);
  const devices = await raw(fake, 'GET', '/api/devices', { token: access });
  t.equal(devices.status, 200);
  t.equal(devices.body.totalItems, 0);
  t.equal((await raw(fake, 'GET', `/api/devices/${fake.estate.listDevices()[0]?.deviceId}`, { token: access })).status, 403);
});

t.test('an expired API-user password answers 500 with the UI-session message', async (t) => {
  const { fake, access } = await fakeWith(t);
  fake.options.passwordExpired = true;
  const answer = await raw(fake, 'GET', '/api/customers', { token: access });
  t.equal(answer.status, 500);
  t.match(answer.body.message, /Unable to validate UI session/);
});

t.test('the request log records method, path, template and status', async (t) => {
  const { fake, access } = await fakeWith(t);
  await raw(fake, 'GET', '/api/devices?pageSize=5', { token: access });
  t.match(fake.requests.at(-1), { method: 'GET', path: '/api/devices', template: '/api/devices', query: '?pageSize=5', status: 200 });
  t.equal(templateOf('/api/devices/1000000007/assets'), '/api/devices/{id}/assets');
});

t.test('the benchmark estate (1,000 customers, 2,000 sites, 100,000 devices) is generated deterministically', async (t) => {
  const a = generateEstate({ customers: 1000, sitesPerCustomer: 2, devices: 100_000, seed: 42 });
  t.equal(a.customers.size, 1000);
  t.equal(a.sites.size, 2000);
  t.equal(a.devices.size, 100_000);
  const b = generateEstate({ customers: 1000, sitesPerCustomer: 2, devices: 100_000, seed: 42 });
  t.same(a.listDevices().slice(0, 50), b.listDevices().slice(0, 50));
  const ids = new Set([...a.customers.keys(), ...a.sites.keys(), ...a.serviceOrgs.keys()]);
  t.equal(ids.size, 1 + 1000 + 2000, 'org units share one id space');
  t.ok(a.listDevices().some((d) => d.isProbe));
  t.ok(a.listDevices().some((d) => d.siteId === null) && a.listDevices().some((d) => d.siteId !== null));
});

t.test('the fake also runs in a child process, driven over IPC', async (t) => {
  const { startFakeNcentralProcess } = await import('../fakes/ncentral-process.js');
  const child = await startFakeNcentralProcess({ estate: { customers: 2, devices: 5, seed: 1 }, server: { recordRequests: false } });
  t.teardown(() => child.close());
  const auth = await new Promise<number>((resolve, reject) => {
    const req = https.request(new URL('/api/auth/authenticate', child.url), { method: 'POST', ca: child.caPem, headers: { authorization: `Bearer ${child.userApiToken}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(auth, 200);
  const customer = (await child.estate('listCustomers')) as { customerId: number }[];
  t.equal(customer.length, 2);
  await child.estate('renameCustomer', customer[0]?.customerId, 'Renamed');
  t.equal(((await child.estate('customer', customer[0]?.customerId)) as { customerName: string }).customerName, 'Renamed');
  await t.rejects(child.estate('noSuchMethod'), /no estate method/);
  const stats = await child.stats();
  t.same(stats.statusCounts, { '200': 1 });
  t.ok(stats.rssBytes > 0);
});
