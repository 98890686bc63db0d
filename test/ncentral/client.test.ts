import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { NcentralClient, NcentralError } from '../../src/ncentral/client.js';
import { generateEstate, startFakeNcentral } from '../fakes/ncentral.js';
import { testClock } from '../helpers/clock.js';
import { collect, connectToFake, failure } from '../helpers/ncentral.js';

const estate40 = () => generateEstate({ customers: 5, sitesPerCustomer: 1, devices: 40, seed: 3 });

const pageSizesAsked = (requests: { template: string; query: string }[], template: string) =>
  requests.filter((r) => r.template === template).map((r) => new URLSearchParams(r.query).get('pageSize'));

t.test('pages through every device once and reads back the page size the server clamped to', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate40(), maxPageSize: 7 }, { pageSize: 50 });
  const pages: { size: number; n: number; items: number }[] = [];
  for await (const page of client.devices()) pages.push({ size: page.pageSize, n: page.pageNumber, items: page.items.length });
  const ids = pages.length;
  t.equal(ids, 6);
  t.same(pages.map((p) => p.size), [7, 7, 7, 7, 7, 7]);
  t.same(pageSizesAsked(fake.requests, '/api/devices'), ['50', '7', '7', '7', '7', '7']);
  const devices = await collect(client.devices());
  t.equal(devices.length, 40);
  t.equal(new Set(devices.map((d) => d.deviceId)).size, 40);
  t.same(devices.map((d) => d.deviceId), fake.estate.listDevices().map((d) => String(d.deviceId)));
});

t.test('a server that refuses an over-large page size with 400 is asked again with a smaller one', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate40(), maxPageSize: 150, pageSizeAboveMax: 'reject' }, { pageSize: 1000 });
  t.equal((await collect(client.devices())).length, 40);
  t.same(pageSizesAsked(fake.requests, '/api/devices'), ['1000', '200', '50']);
  t.same(fake.requests.filter((r) => r.template === '/api/devices').map((r) => r.status), [400, 400, 200]);
});

t.test('closing the client fails calls in flight and waiting retries at once, without retrying', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate40(), faults: { latencyMs: 1000 } });
  const ids = fake.estate.listDevices().slice(0, 2).map((d) => String(d.deviceId));
  const pending = ids.map((id) => failure(client.device(id)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await client.close();
  for (const error of await Promise.all(pending)) {
    t.equal(error.kind, 'network');
    t.equal(error.retryable, false);
    t.match(error.message, /closed/);
  }
  t.equal(client.stats().retries, 0);
});

t.test('a page envelope with only data and totalItems still ends after the last page', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate40(), omitEnvelopeFields: ['pageNumber', 'pageSize', 'itemCount', 'totalPages', '_links', '_warning'] }, { pageSize: 10 });
  const devices = await collect(client.devices());
  t.equal(devices.length, 40);
  t.equal(fake.requests.filter((r) => r.template === '/api/devices').length, 4);
});

t.test('a page envelope with links but no totals ends when nextPage is null', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate40(), omitEnvelopeFields: ['totalItems', 'totalPages', 'itemCount'] }, { pageSize: 10 });
  t.equal((await collect(client.devices())).length, 40);
  t.equal(fake.requests.filter((r) => r.template === '/api/devices').length, 4);
});

t.test('a bare data envelope with a silently clamped page size is read on to the first empty page', async (t) => {
  const { fake, client } = await connectToFake(
    t,
    { estate: estate40(), maxPageSize: 7, omitEnvelopeFields: ['pageNumber', 'pageSize', 'itemCount', 'totalItems', 'totalPages', '_links', '_warning'] },
    { pageSize: 10 },
  );
  const devices = await collect(client.devices());
  t.equal(devices.length, 40);
  t.equal(new Set(devices.map((d) => d.deviceId)).size, 40);
  t.equal(fake.requests.filter((r) => r.template === '/api/devices').length, 7);
});

t.test('a server that ignores pageNumber is reported instead of looping forever', async (t) => {
  const { client } = await connectToFake(t, { estate: estate40(), ignorePageNumber: true, omitEnvelopeFields: ['totalItems', 'totalPages', '_links'] }, { pageSize: 10 });
  const error = await failure(collect(client.devices()));
  t.equal(error.kind, 'badResponse');
  t.match(error.message, /same page twice/);
});

t.test('ids sent as strings give the same customers, sites and devices as ids sent as numbers', async (t) => {
  const estate = estate40();
  const asNumbers = await connectToFake(t, { estate });
  const asStrings = await connectToFake(t, { estate, idsAsStrings: true });
  t.same(await collect(asStrings.client.customers()), await collect(asNumbers.client.customers()));
  t.same(await collect(asStrings.client.sites()), await collect(asNumbers.client.sites()));
  t.same(await collect(asStrings.client.serviceOrgs()), await collect(asNumbers.client.serviceOrgs()));
  const devices = await collect(asStrings.client.devices());
  t.same(devices, await collect(asNumbers.client.devices()));
  t.ok(devices.every((d) => /^\d+$/.test(d.deviceId) && /^\d+$/.test(d.customerId) && /^\d+$/.test(d.orgUnitId)));
});

t.test('a listing that mixes string and number ids reads the same as one with numbers only', async (t) => {
  const estate = estate40();
  const mixed = await connectToFake(t, { estate, idsAsStrings: 'mixed' });
  const plain = await connectToFake(t, { estate });
  t.same(await collect(mixed.client.devices()), await collect(plain.client.devices()));
  t.same(await collect(mixed.client.customers()), await collect(plain.client.customers()));
});

t.test('customers carry their service organization and sites their customer', async (t) => {
  const estate = generateEstate({ serviceOrgs: 2, customers: 4, sitesPerCustomer: [0, 2], devices: 0 });
  const { client } = await connectToFake(t, { estate });
  const customers = await collect(client.customers());
  t.same(customers.map((c) => [c.customerName, c.soId]), estate.listCustomers().map((c) => [c.customerName, String(c.soId)]));
  const sites = await collect(client.sites());
  t.equal(sites.length, 4);
  t.same(sites.map((s) => s.customerId), estate.listSites().map((s) => String(s.customerId)));
});

t.test('devices of one org unit and the saved device filters are listed', async (t) => {
  const estate = estate40();
  const { client } = await connectToFake(t, { estate });
  const customer = estate.listCustomers()[0];
  const expected = estate.listDevices().filter((d) => d.customerId === customer?.customerId).map((d) => String(d.deviceId));
  t.same((await collect(client.orgUnitDevices(String(customer?.customerId)))).map((d) => d.deviceId), expected);
  t.same(await collect(client.deviceFilters()), [{ filterId: '1', filterName: 'All Devices', description: 'Every device' }]);
  t.equal((await collect(client.devices({ filterId: '1' }))).length, 40);
  t.throws(() => client.orgUnitDevices('abc'), NcentralError);
});

t.test('zone-less check-in times are read as UTC and offsets keep their instant', async (t) => {
  const estate = generateEstate({ customers: 1, devices: 0 });
  const customerId = estate.listCustomers()[0]?.customerId ?? 0;
  estate.addDevice({ customerId, lastApplianceCheckinTime: '2026-03-23T21:33:26.278' });
  estate.addDevice({ customerId, lastApplianceCheckinTime: '2026-03-23T23:33:26.278+02:00' });
  estate.addDevice({ customerId, lastApplianceCheckinTime: null });
  const { client } = await connectToFake(t, { estate });
  const times = (await collect(client.devices())).map((d) => d.lastApplianceCheckinTime?.toISOString() ?? null);
  t.same(times, ['2026-03-23T21:33:26.278Z', '2026-03-23T21:33:26.278Z', null]);
});

t.test('one device and its assets are fetched by id; an unknown device and a probe answer null', async (t) => {
  const estate = generateEstate({ customers: 1, devices: 0 });
  const customerId = estate.listCustomers()[0]?.customerId ?? 0;
  const pc = estate.addDevice({ customerId, longName: 'PC-1', assets: { serialNumber: 'ABC123', macAddresses: ['00-50-56-aa-bb-cc'] } });
  const probe = estate.addDevice({ customerId, isProbe: true });
  const { client } = await connectToFake(t, { estate });
  t.equal((await client.device(String(pc.deviceId)))?.longName, 'PC-1');
  const assets = await client.deviceAssets(String(pc.deviceId));
  t.equal(assets?.serialNumber, 'ABC123');
  t.same(assets?.macAddresses, ['00:50:56:AA:BB:CC']);
  t.equal(await client.deviceAssets(String(probe.deviceId)), null);
  t.equal(await client.device('999999999'), null);
  t.equal(await client.deviceAssets('999999999'), null);
  t.equal(await client.device('not-an-id'), null);
});

t.test('tokens dropped mid-listing are renewed once and the failed page is replayed', async (t) => {
  const { fake, client, events } = await connectToFake(t, { estate: estate40() }, { pageSize: 10 });
  const devices: string[] = [];
  for await (const page of client.devices()) {
    devices.push(...page.items.map((d) => d.deviceId));
    if (page.pageNumber === 1) fake.expireAllTokens();
  }
  t.equal(devices.length, 40);
  t.equal(new Set(devices).size, 40);
  t.equal(client.stats().tokenRenewals, 2);
  t.equal(fake.requests.filter((r) => r.status === 401 && r.template === '/api/devices').length, 1);
  // The refresh token died with the access token (a server restart), so the client re-authenticated.
  t.same(
    fake.requests.filter((r) => r.path.startsWith('/api/auth/')).map((r) => `${r.path} ${r.status}`),
    ['/api/auth/authenticate 200', '/api/auth/refresh 401', '/api/auth/authenticate 200'],
  );
  t.same(events.filter((e) => e.type === 'tokenRenewed'), [
    { type: 'tokenRenewed', via: 'authenticate', reason: 'initial' },
    { type: 'tokenRenewed', via: 'authenticate', reason: 'unauthorized' },
  ]);
});

t.test('an access token near its expiry is refreshed before use, without a 401', async (t) => {
  const clock = testClock();
  const { fake, client, events } = await connectToFake(t, { estate: estate40(), clock, accessTokenTtlSeconds: 100 }, { pageSize: 10, clock });
  let pageCount = 0;
  for await (const page of client.devices()) {
    pageCount += 1;
    if (page.pageNumber === 2) clock.advance(95_000);
  }
  t.equal(pageCount, 4);
  t.equal(fake.requests.filter((r) => r.status === 401).length, 0);
  t.same(
    fake.requests.filter((r) => r.path.startsWith('/api/auth/')).map((r) => `${r.path} ${r.status}`),
    ['/api/auth/authenticate 200', '/api/auth/refresh 200'],
  );
  t.same(events.filter((e) => e.type === 'tokenRenewed').at(-1), { type: 'tokenRenewed', via: 'refresh', reason: 'expiring' });
});

t.test('concurrent calls that find the token about to expire share ONE proactive refresh', async (t) => {
  const clock = testClock();
  const { fake, client } = await connectToFake(t, { estate: estate40(), clock, accessTokenTtlSeconds: 100, maxConcurrentPerEndpoint: 50 }, { clock, concurrencyPerEndpoint: 20 });
  await client.authenticate();
  clock.advance(91_000);
  const ids = fake.estate.listDevices().slice(0, 20).map((d) => String(d.deviceId));
  await Promise.all(ids.map((id) => client.device(id)));
  t.equal(fake.requests.filter((r) => r.path === '/api/auth/refresh').length, 1);
  t.equal(fake.requests.filter((r) => r.status === 401).length, 0);
  t.equal(client.stats().tokenRenewals, 2);
});

t.test('aborting the signal given to the client stops it like close()', async (t) => {
  const controller = new AbortController();
  const { fake, client } = await connectToFake(t, { estate: estate40(), faults: { latencyMs: 1000 } }, { signal: controller.signal });
  const pending = failure(client.device(String(fake.estate.listDevices()[0]?.deviceId)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  controller.abort();
  const error = await pending;
  t.equal(error.kind, 'network');
  t.equal(error.retryable, false);
  t.equal((await failure(client.serverInfo())).retryable, false);
});

t.test('an access token past its TTL gets a 401 from the server and is renewed and replayed', async (t) => {
  const serverClock = testClock();
  const { fake, client } = await connectToFake(t, { estate: estate40(), clock: serverClock, accessTokenTtlSeconds: 60 });
  await client.authenticate();
  // The client's own clock does not move: only the 401 tells it the token expired.
  serverClock.advance(61_000);
  t.equal((await collect(client.customers())).length, 5);
  t.same(fake.requests.filter((r) => r.template === '/api/customers').map((r) => r.status), [401, 200]);
  t.equal(fake.requests.filter((r) => r.path === '/api/auth/refresh' && r.status === 200).length, 1);
});

t.test('many concurrent requests rejected with 401 share ONE renewal', async (t) => {
  const { fake, client } = await connectToFake(
    t,
    { estate: estate40(), faults: { latencyMs: 30 }, maxConcurrentPerEndpoint: 50 },
    { concurrencyPerEndpoint: 12 },
  );
  await client.authenticate();
  fake.expireAllTokens();
  const ids = fake.estate.listDevices().slice(0, 12).map((d) => String(d.deviceId));
  const assets = await Promise.all(ids.map((id) => client.deviceAssets(id)));
  t.equal(assets.filter((a) => a !== null).length, ids.length - fake.estate.listDevices().slice(0, 12).filter((d) => d.isProbe).length);
  t.ok(fake.requests.filter((r) => r.status === 401).length >= 10, 'most requests were rejected together');
  t.equal(client.stats().tokenRenewals, 2);
  t.equal(fake.requests.filter((r) => r.path === '/api/auth/authenticate').length, 2);
});

t.test('a 429 with Retry-After is retried after exactly that delay', async (t) => {
  const sleeps: number[] = [];
  const { fake, client } = await connectToFake(t, { estate: estate40() }, {
    sleep: async (ms) => {
      sleeps.push(ms);
      fake.options.faults = {};
    },
  });
  await client.authenticate();
  fake.options.faults = { rate429: 1, retryAfter: true };
  t.equal((await collect(client.customers())).length, 5);
  t.same(sleeps, [1000]);
  t.same(fake.requests.filter((r) => r.template === '/api/customers').map((r) => r.status), [429, 200]);
  t.equal(client.stats().retries, 1);
});

t.test('a 429 without Retry-After is retried after a jittered exponential backoff', async (t) => {
  const sleeps: number[] = [];
  const { fake, client } = await connectToFake(t, { estate: estate40() }, {
    sleep: async (ms) => {
      sleeps.push(ms);
      if (sleeps.length === 2) fake.options.faults = {};
    },
  });
  await client.authenticate();
  fake.options.faults = { rate429: 1 };
  t.equal((await collect(client.customers())).length, 5);
  // base 1 s, doubling, jitter fixed at 0.5 → 750 ms, then 1500 ms.
  t.same(sleeps, [750, 1500]);
});

t.test('a 503 is retried and the call then succeeds', async (t) => {
  const sleeps: number[] = [];
  const { fake, client, events } = await connectToFake(t, { estate: estate40() }, {
    sleep: async (ms) => {
      sleeps.push(ms);
      fake.options.faults = {};
    },
  });
  await client.authenticate();
  fake.options.faults = { rate503: 1 };
  const device = fake.estate.listDevices()[0];
  t.equal((await client.device(String(device?.deviceId)))?.deviceId, String(device?.deviceId));
  t.same(sleeps, [750]);
  t.same(events.filter((e) => e.type === 'retry'), [{ type: 'retry', endpoint: '/api/devices/{id}', attempt: 1, status: 503, kind: 'server', delayMs: 750 }]);
});

t.test('when retries run out the call fails with a rateLimited NcentralError', async (t) => {
  const { fake, client, sleeps } = await connectToFake(t, { estate: estate40() }, { maxRetries: 3 });
  await client.authenticate();
  fake.options.faults = { rate429: 1 };
  const error = await failure(collect(client.customers()));
  t.equal(error.kind, 'rateLimited');
  t.equal(error.status, 429);
  t.equal(error.endpoint, '/api/customers');
  t.same(sleeps, [750, 1500, 3000]);
  t.equal(client.stats().retries, 3);
  t.equal(fake.requests.filter((r) => r.template === '/api/customers').length, 4);
});

t.test('backoff is capped', async (t) => {
  const { fake, client, sleeps } = await connectToFake(t, { estate: estate40() }, { maxRetries: 8, backoff: { baseMs: 1000, capMs: 5000 } });
  await client.authenticate();
  fake.options.faults = { rate503: 1 };
  t.equal((await failure(collect(client.sites()))).kind, 'server');
  t.same(sleeps, [750, 1500, 3000, 3750, 3750, 3750, 3750, 3750]);
});

t.test('in-flight calls per endpoint never exceed the configured limit', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate40(), faults: { latencyMs: 15 }, maxConcurrentPerEndpoint: 3 });
  const ids = fake.estate.listDevices().map((d) => String(d.deviceId));
  await Promise.all([...ids.map((id) => client.deviceAssets(id)), ...ids.slice(0, 10).map((id) => client.device(id))]);
  t.equal(fake.maxObservedConcurrency('/api/devices/{id}/assets'), 3);
  t.equal(fake.maxObservedConcurrency('/api/devices/{id}'), 3);
  t.equal(fake.requests.filter((r) => r.status === 429).length, 0);
});

t.test('a client allowed more than the server accepts gets 429s and still completes every call', async (t) => {
  // Backoff scaled down 50× but real, so retries spread out as they would.
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms / 50));
  const { fake, client } = await connectToFake(t, { estate: estate40(), faults: { latencyMs: 15 }, maxConcurrentPerEndpoint: 2 }, { concurrencyPerEndpoint: 5, sleep });
  const ids = fake.estate.listDevices().map((d) => String(d.deviceId));
  const assets = await Promise.all(ids.map((id) => client.deviceAssets(id)));
  t.equal(assets.length, 40);
  t.ok(fake.requests.some((r) => r.status === 429));
  t.ok(fake.maxObservedConcurrency('/api/devices/{id}/assets') <= 5);
  t.ok(client.stats().retries > 0);
});

t.test('a request that outlives its timeout fails with kind timeout after its retries', async (t) => {
  const { client, sleeps } = await connectToFake(t, { estate: estate40(), faults: { latencyMs: 400 } }, { timeoutMs: 40, maxRetries: 1 });
  const error = await failure(client.serverInfo());
  t.equal(error.kind, 'timeout');
  t.equal(sleeps.length, 1);
});

t.test('dropped connections are retried until the call succeeds', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate40(), faults: { dropRate: 0.3 }, seed: 11 });
  const ids = fake.estate.listDevices().slice(0, 15).map((d) => String(d.deviceId));
  const devices = await Promise.all(ids.map((id) => client.device(id)));
  t.same(devices.map((d) => d?.deviceId), ids);
  t.ok(fake.requests.some((r) => r.status === 0), 'some connections were dropped');
});

t.test('a private CA given as caPem is trusted', async (t) => {
  const { client } = await connectToFake(t, { estate: estate40(), tls: 'private-ca' });
  t.equal((await client.serverInfo()).ncentralVersion, '2025.3.1.9');
});

t.test('a server certificate from an unknown private CA is refused without retries', async (t) => {
  const { client, sleeps } = await connectToFake(t, { estate: estate40(), tls: 'private-ca' }, { caPem: undefined });
  const error = await failure(client.serverInfo());
  t.equal(error.kind, 'tls');
  t.same(sleeps, []);
});

t.test('a self-signed server certificate is refused', async (t) => {
  const { client } = await connectToFake(t, { estate: estate40(), tls: 'self-signed' }, { caPem: undefined });
  const error = await failure(client.serverInfo());
  t.equal(error.kind, 'tls');
  t.match(error.message, /self-signed/);
});

t.test('NODE_EXTRA_CA_CERTS keeps working when no CA bundle is configured', async (t) => {
  const fake = await startFakeNcentral({ estate: estate40() });
  t.teardown(() => fake.close());
  const clientModule = fileURLToPath(new URL('../../src/ncentral/client.ts', import.meta.url));
  const allowModule = fileURLToPath(new URL('../../src/ncentral/allowed-hosts.ts', import.meta.url));
  const script = `const { NcentralClient } = await import(${JSON.stringify(clientModule)});
    const { parseAllowedHosts } = await import(${JSON.stringify(allowModule)});
    const client = new NcentralClient({ baseUrl: process.env.NC_URL, userApiToken: 'x', maxRetries: 0, allowedHosts: parseAllowedHosts('127.0.0.1').value });
    try { await client.authenticate(); console.log('{}'); } catch (e) { console.log(JSON.stringify({ kind: e.kind })); }
    await client.close();`;
  const run = (extra: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { PATH: process.env['PATH'] ?? '', NC_URL: fake.url, ...extra },
    });
  const caFile = fileURLToPath(new URL('../fixtures/tls/ca.pem', import.meta.url));
  // Trusted: the TLS handshake passes and the (made-up) token is refused by N-central itself.
  t.same(JSON.parse((await run({ NODE_EXTRA_CA_CERTS: caFile })).stdout), { kind: 'auth' });
  t.same(JSON.parse((await run({})).stdout), { kind: 'tls' });
});

t.test('plain http is refused unless a test allows it, and calls name the bad address', async (t) => {
  const client = new NcentralClient({ baseUrl: 'http://127.0.0.1:1', userApiToken: 'x' });
  const error = await failure(client.serverInfo());
  t.equal(error.kind, 'badUrl');
  t.match(error.message, /https/);
  await client.close();
});

t.test('a refused User-API token fails with kind auth', async (t) => {
  const { client } = await connectToFake(t, { estate: estate40() }, { userApiToken: 'eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJ4In0.wrong-signature' });
  const error = await failure(collect(client.customers()));
  t.equal(error.kind, 'auth');
  t.equal(error.status, 401);
});

t.test("the expired 90-day password's 500 is reported as passwordExpired, not retried", async (t) => {
  const { client, sleeps } = await connectToFake(t, { estate: estate40(), passwordExpired: true });
  const error = await failure(collect(client.customers()));
  t.equal(error.kind, 'passwordExpired');
  t.match(error.message, /password/);
  t.same(sleeps, []);
});

t.test('a 403 is reported as forbidden', async (t) => {
  const { client } = await connectToFake(t, { estate: estate40(), permissions: { customers: false, devices: true } });
  t.equal((await failure(collect(client.customers()))).kind, 'forbidden');
});

t.test('stats count requests, retries, pages and token renewals', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate40() }, { pageSize: 10, sleep: async () => { fake.options.faults = {}; } });
  await collect(client.devices());
  fake.options.faults = { rate503: 1 };
  await collect(client.customers());
  const { bytes, ...stats } = client.stats();
  t.same(stats, { requests: 1 + 4 + 2, retries: 1, pages: 5, tokenRenewals: 1 });
  t.ok(bytes > 0, 'the bytes received are counted');
});
