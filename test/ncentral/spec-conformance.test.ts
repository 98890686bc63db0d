/**
 * The client against the published N-central API-Service specification (issue 20): the fake follows the
 * specification, so each test here failed against the client that was written from secondary sources.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { NcentralClient } from '../../src/ncentral/client.js';
import { verifyConnection } from '../../src/ncentral/verify.js';
import { generateEstate } from '../fakes/ncentral.js';
import { collect, connectToFake, LOOPBACK_ALLOWED } from '../helpers/ncentral.js';

const estate = () => generateEstate({ customers: 6, sitesPerCustomer: 2, devices: 60, seed: 11 });
const codes = (result: { problems: { code: string }[] }) => result.problems.map((p) => p.code);

t.test('server-info is asked with the access token, so verify reports versionTooOld for a 2023.4 server', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate(), version: '2023.4.0.3' });
  const result = await verifyConnection(client);
  t.same(codes(result), ['versionTooOld']);
  t.equal(result.ncentralVersion, '2023.4.0.3');
  const info = fake.requests.find((r) => r.template === '/api/server-info');
  t.equal(info?.status, 200, 'server-info answered, not 401');
});

t.test('when server-info says ncentral: null, the version comes from /api/server-info/extra', async (t) => {
  const { client } = await connectToFake(t, { estate: estate(), version: '2023.4.0.3', versionOnlyInExtra: true });
  const result = await verifyConnection(client);
  t.same(codes(result), ['versionTooOld']);
  t.equal(result.ncentralVersion, '2023.4.0.3');
});

t.test('when neither version route names a version, verify says "version unknown" in plain words', async (t) => {
  const { client } = await connectToFake(t, { estate: estate(), version: null });
  const result = await verifyConnection(client);
  t.equal(result.ok, true, 'the connection itself works');
  t.equal(result.ncentralVersion, null);
  t.same(result.warnings.map((w) => w.code), ['versionUnknown']);
  t.match(result.warnings[0]?.message, /did not say which version/);
});

t.test('every listing asks sortBy on its id, so a full pass reads each device exactly once although unsorted pages are shuffled', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate() }, { pageSize: 7 });
  const devices = await collect(client.devices());
  t.equal(devices.length, 60);
  t.equal(new Set(devices.map((d) => d.deviceId)).size, 60);
  t.same(devices.map((d) => d.deviceId), fake.estate.listDevices().map((d) => String(d.deviceId)));
  const customers = await collect(client.customers({ pageSize: 4 }));
  t.same(customers.map((c) => c.customerId), fake.estate.listCustomers().map((c) => String(c.customerId)));
  const sites = await collect(client.sites({ pageSize: 5 }));
  t.same(sites.map((s) => s.siteId), fake.estate.listSites().map((s) => String(s.siteId)));
  await collect(client.deviceFilters());
  const sortOf = (template: string) => [...new Set(fake.requests.filter((r) => r.template === template).map((r) => new URLSearchParams(r.query).get('sortBy')))];
  t.same(sortOf('/api/devices'), ['deviceId']);
  t.same(sortOf('/api/customers'), ['customerId']);
  t.same(sortOf('/api/sites'), ['siteId']);
  t.same(sortOf('/api/device-filters'), ['filterId']);
});

t.test('a {data, totalItems} listing whose page size the server silently lowered is read to the end', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate(), maxPageSize: 5 }, { pageSize: 50 });
  const customers = await collect(client.customers());
  t.equal(customers.length, 6);
  const sites = await collect(client.sites());
  t.equal(sites.length, 12);
  t.same(sites.map((s) => s.siteId), fake.estate.listSites().map((s) => String(s.siteId)));
  // Twelve sites at five a page: pages 1–3, the third one short, and no fourth request.
  t.equal(fake.requests.filter((r) => r.template === '/api/sites').length, 3);
});

t.test('the single org-unit GETs are read unwrapped, as the specification gives them', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate() });
  const customer = fake.estate.listCustomers()[1];
  const site = fake.estate.listSites()[2];
  const so = fake.estate.listServiceOrgs()[0];
  t.match(await client.customer(String(customer?.customerId)), { customerId: String(customer?.customerId), customerName: customer?.customerName, soId: String(so?.soId) });
  t.match(await client.site(String(site?.siteId)), { siteId: String(site?.siteId), siteName: site?.siteName });
  t.match(await client.serviceOrg(String(so?.soId)), { soId: String(so?.soId), soName: so?.soName });
  t.match(await client.orgUnit(String(site?.siteId)), { orgUnitId: String(site?.siteId), orgUnitType: 'SITE', parentId: String(site?.customerId) });
  t.equal(await client.customer('987654'), null);
});

t.test('a device gone from N-central is told apart in each of the three ways a server answers, and a present one too', async (t) => {
  const seen: Record<string, string> = {};
  for (const goneDevices of ['notFound', 'deletedFlag', 'unauthorized', 'forbidden'] as const) {
    const { fake, client } = await connectToFake(t, { estate: estate(), goneDevices });
    const [gone, kept] = fake.estate.listDevices();
    fake.estate.deleteDevice(gone?.deviceId ?? 0);
    seen[goneDevices] = (await client.lookUpDevice(String(gone?.deviceId))).answer;
    seen[`${goneDevices}/present`] = (await client.lookUpDevice(String(kept?.deviceId))).answer;
    t.equal(client.stats().tokenRenewals, 1, `${goneDevices}: a 401 for one device renews no token`);
  }
  t.same(seen, {
    notFound: 'notFound',
    'notFound/present': 'present',
    deletedFlag: 'deleted',
    'deletedFlag/present': 'present',
    unauthorized: 'noPermission',
    'unauthorized/present': 'present',
    forbidden: 'noPermission',
    'forbidden/present': 'present',
  });
});

t.test('a 401 while the token itself has expired is not taken for "no permission"', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate(), goneDevices: 'unauthorized' });
  const device = fake.estate.listDevices()[0];
  await client.authenticate();
  fake.expireAllTokens();
  t.equal((await client.lookUpDevice(String(device?.deviceId))).answer, 'present');
});

t.test('logout ends the session on the server', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate() });
  await collect(client.customers());
  t.equal(fake.openSessions(), 1);
  t.equal(await client.logout(), true);
  t.equal(fake.openSessions(), 0);
  t.equal(await client.logout(), false, 'nothing left to end');
});

t.test("an error is explained with the status words and reference from N-central's {status, message, errors[]} body, never its free text", async (t) => {
  const server = http.createServer((req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        status: 400,
        message: "[ID=2b85998f] BAD REQUEST: BAD REQUEST: BadRequestException: Invalid customerId format: 'abc'.",
        errors: [{ field: 'customerId', message: 'must be an integer' }],
      }),
    );
    void req;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new NcentralClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, userApiToken: 'x', allowPlainHttp: true, allowedHosts: LOOPBACK_ALLOWED, maxRetries: 0 });
  t.teardown(async () => {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const error = await client.authenticate().then(
    () => null,
    (e: unknown) => e,
  );
  t.match(error, { kind: 'badResponse', status: 400, serverMessage: 'BAD REQUEST [N-central reference 2b85998f]' });
  t.notMatch(JSON.stringify(error), /Invalid customerId|must be an integer|BadRequestException/);
});

t.test('verify names the reason N-central gave for refusing the token', async (t) => {
  const { client } = await connectToFake(t, { estate: estate() }, { userApiToken: 'eyJhbGciOiJIUzUxMiJ9.e30.not-the-token' });
  const result = await verifyConnection(client);
  t.same(codes(result), ['badToken']);
  t.match(result.problems[0]?.message, /N-central said: "UNAUTHORIZED \[N-central reference \w+\]"/);
  t.notMatch(result.problems[0]?.message, /Invalid or revoked JWT/);
});

t.test('a server that answers with an HTML page is never echoed', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/html' });
    res.end('<html><body>internal admin panel: secret-build-4711</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new NcentralClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, userApiToken: 'x', allowPlainHttp: true, allowedHosts: LOOPBACK_ALLOWED, maxRetries: 0 });
  t.teardown(async () => {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const result = await verifyConnection(client);
  t.notMatch(JSON.stringify(result), /secret-build|admin panel/);
});
