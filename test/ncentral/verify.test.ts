import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { NcentralClient } from '../../src/ncentral/client.js';
import { verifyConnection, versionAtLeast } from '../../src/ncentral/verify.js';
import { generateEstate } from '../fakes/ncentral.js';
import { connectToFake, LOOPBACK_ALLOWED } from '../helpers/ncentral.js';

const estate = () => generateEstate({ customers: 3, sitesPerCustomer: 1, devices: 12 });
const codes = (result: { problems: { code: string }[] }) => result.problems.map((p) => p.code);

t.test('a healthy connection verifies with the version and the customer and device counts', async (t) => {
  const { client } = await connectToFake(t, { estate: estate() });
  const result = await verifyConnection(client);
  t.same(result, { ok: true, ncentralVersion: '2025.3.1.9', apiVersion: '3.1.0', customers: 3, devices: 12, problems: [], warnings: [] });
});

t.test('an http:// or malformed address is reported as badUrl', async (t) => {
  for (const baseUrl of ['http://ncentral.example.com', 'not a host']) {
    const client = new NcentralClient({ baseUrl, userApiToken: 'x' });
    const result = await verifyConnection(client);
    t.equal(result.ok, false);
    t.same(codes(result), ['badUrl']);
    await client.close();
  }
});

t.test('an address that answers but is not N-central is reported as badUrl', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<html>Not here</html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new NcentralClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, userApiToken: 'x', allowPlainHttp: true, allowedHosts: LOOPBACK_ALLOWED });
  t.teardown(() => client.close());
  const result = await verifyConnection(client);
  t.same(codes(result), ['badUrl']);
  t.match(result.problems[0]?.message, /not as an N-central server/);
});

t.test('an address whose server-info is JSON without any version is reported as badUrl', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new NcentralClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, userApiToken: 'x', allowPlainHttp: true, allowedHosts: LOOPBACK_ALLOWED });
  t.teardown(() => client.close());
  t.same(codes(await verifyConnection(client)), ['badUrl']);
});

t.test('a server-info that asks for a token does not stop verify from checking the token', async (t) => {
  const server = http.createServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Unauthorized' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new NcentralClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, userApiToken: 'x', allowPlainHttp: true, allowedHosts: LOOPBACK_ALLOWED });
  t.teardown(() => client.close());
  const result = await verifyConnection(client);
  t.same(codes(result), ['badToken']);
  t.equal(result.ncentralVersion, null);
});

t.test('a self-signed certificate is reported as a TLS problem', async (t) => {
  const { client } = await connectToFake(t, { estate: estate(), tls: 'self-signed' }, { caPem: undefined });
  const result = await verifyConnection(client);
  t.same(codes(result), ['tls']);
  t.match(result.problems[0]?.message, /self-signed/);
});

t.test('nothing listening is reported as unreachable', async (t) => {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const client = new NcentralClient({ baseUrl: `https://127.0.0.1:${port}`, userApiToken: 'x', allowedHosts: LOOPBACK_ALLOWED, sleep: async () => {} });
  t.teardown(() => client.close());
  const result = await verifyConnection(client);
  t.same(codes(result), ['unreachable']);
});

t.test('a refused User-API token is reported as badToken', async (t) => {
  const { client } = await connectToFake(t, { estate: estate() }, { userApiToken: 'eyJhbGciOiJIUzUxMiJ9.e30.not-the-token' });
  const result = await verifyConnection(client);
  t.same(codes(result), ['badToken']);
  // The version routes want a token too, so a refused token leaves the version unread.
  t.equal(result.ncentralVersion, null);
});

t.test('a regenerated (replaced) User-API token is reported as badToken', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: estate() });
  fake.rotateUserApiToken();
  t.same(codes(await verifyConnection(client)), ['badToken']);
});

t.test("the API user's expired password is reported as passwordExpired", async (t) => {
  const { client } = await connectToFake(t, { estate: estate(), passwordExpired: true });
  const result = await verifyConnection(client);
  t.same(codes(result), ['passwordExpired']);
  t.match(result.problems[0]?.message, /Reset the API user's password/);
});

t.test('an N-central older than 2023.9 is reported as versionTooOld', async (t) => {
  const { client } = await connectToFake(t, { estate: estate(), version: '2023.4.0.3' });
  const result = await verifyConnection(client);
  t.same(codes(result), ['versionTooOld']);
  t.match(result.problems[0]?.message, /2023\.4\.0\.3 is too old/);
});

t.test('a server that does not state its version is not called too old', async (t) => {
  const { client } = await connectToFake(t, { estate: estate(), version: null });
  const result = await verifyConnection(client);
  t.equal(result.ok, true);
  t.equal(result.ncentralVersion, null);
});

t.test('no access to customers is reported as noCustomerAccess', async (t) => {
  const { client } = await connectToFake(t, { estate: estate(), permissions: { customers: false, devices: true } });
  const result = await verifyConnection(client);
  t.same(codes(result), ['noCustomerAccess']);
});

t.test('an empty customer list is reported as noCustomerAccess', async (t) => {
  const { client } = await connectToFake(t, { estate: generateEstate({ customers: 0, devices: 0 }) });
  const result = await verifyConnection(client);
  t.same(codes(result), ['noCustomerAccess']);
  t.equal(result.customers, 0);
});

t.test('customers visible but no devices is reported as noDeviceAccess, naming device rights and the EULA', async (t) => {
  const { client } = await connectToFake(t, { estate: estate(), permissions: { customers: true, devices: false } });
  const result = await verifyConnection(client);
  t.same(codes(result), ['noDeviceAccess']);
  t.equal(result.customers, 3);
  t.equal(result.devices, 0);
  t.match(result.problems[0]?.message, /All Devices/);
  t.match(result.problems[0]?.message, /EULA/);
});

t.test('a device list answered with 403 is reported as noDeviceAccess too', async (t) => {
  const { client } = await connectToFake(t, { estate: estate(), permissions: { customers: true, devices: false, devicesAs: 'forbidden' } });
  const result = await verifyConnection(client);
  t.same(codes(result), ['noDeviceAccess']);
  t.equal(result.customers, 3);
  t.equal(result.devices, null);
});

t.test('verify gives up quickly on a flapping server: one retry per call', async (t) => {
  const { client, sleeps } = await connectToFake(t, { estate: estate(), faults: { rate503: 1 } });
  const result = await verifyConnection(client);
  t.same(codes(result), ['serverError']);
  t.equal(sleeps.length, 1);
});

t.test('versions compare numerically part by part', async (t) => {
  t.equal(versionAtLeast('2023.9.0.25', '2023.9'), true);
  t.equal(versionAtLeast('2023.10.1', '2023.9'), true);
  t.equal(versionAtLeast('2024.1', '2023.9'), true);
  t.equal(versionAtLeast('2023.8.2', '2023.9'), false);
  t.equal(versionAtLeast('2022.12', '2023.9'), false);
  t.equal(versionAtLeast('unknown', '2023.9'), null);
});
