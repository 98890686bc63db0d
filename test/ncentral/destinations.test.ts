/**
 * Issue 15, SSRF through the N-central URL: a tenant admin may not point the service at internal addresses,
 * neither when saving the connection nor later through DNS, and verify never quotes what a server answered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { createLogger } from '../../src/log.js';
import { PUBLIC_ONLY } from '../../src/ncentral/allowed-hosts.js';
import { NcentralClient, NcentralError } from '../../src/ncentral/client.js';
import { restConnector } from '../../src/ncentral/connector.js';
import { guardedLookup, NOT_ALLOWED_CODE, type HostResolver } from '../../src/ncentral/destination-guard.js';
import { NcentralService } from '../../src/ncentral/service.js';
import { verifyConnection } from '../../src/ncentral/verify.js';
import { createTestAdmin } from '../helpers/admin.js';
import { buildTestApp } from '../helpers/app.js';
import { testClock } from '../helpers/clock.js';
import { sharedTestDatabase } from '../helpers/database.js';
import { allowedHosts, LOOPBACK_ALLOWED } from '../helpers/ncentral.js';
import { createTestTenant } from '../helpers/tenants.js';
import { startFakeNcentral } from '../fakes/ncentral.js';
import { acmeEstate, ENCRYPTION_KEY, fakeApp } from './fake-app.js';

type Json = Record<string, unknown>;

const put = async (a: { app: FastifyInstance; headers: Record<string, string> }, url: string, token = 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln') => {
  const res = await a.app.inject({ method: 'PUT', url: '/admin/v1/ncentral/connection', headers: a.headers, payload: { url, token } });
  return { status: res.statusCode, body: res.json<Json>() };
};

const INTERNAL = ['https://127.0.0.1', 'https://127.1', 'https://0x7f000001', 'https://2130706433', 'https://[0:0::1]', 'https://10.0.0.1', 'https://169.254.169.254', 'https://[::1]', 'https://[::ffff:127.0.0.1]:8443', 'https://0.0.0.0', 'https://localhost:8443'];

t.test('saving an internal address is refused by default with a 400 in plain words', async (t) => {
  const a = await fakeApp(t, {}, { ENCRYPTION_KEY });
  for (const url of INTERNAL) {
    const res = await put(a, url);
    t.equal(res.status, 400, url);
    t.match(res.body, { error: 'invalidInput', message: /is not allowed: it must be a public address.*NCENTRAL_ALLOWED_HOSTS/ }, url);
  }
  const shown = await a.app.inject({ method: 'GET', url: '/admin/v1/ncentral/connection', headers: a.headers });
  t.equal(shown.statusCode, 404, 'nothing was saved');
});

t.test('listed ranges and names may be saved; an unlisted internal address still may not', async (t) => {
  const a = await fakeApp(t, {}, { ENCRYPTION_KEY, NCENTRAL_ALLOWED_HOSTS: '10.0.0.0/8, 169.254.169.254, ::1, localhost' });
  for (const url of ['https://10.0.0.1', 'https://169.254.169.254', 'https://[::1]', 'https://localhost:8443']) t.equal((await put(a, url)).status, 200, url);
  t.equal((await put(a, 'https://127.0.0.1')).status, 400, '127.0.0.1 is not in the list');
  t.equal((await put(a, 'https://172.16.0.1')).status, 400);
});

t.test('a name that does not resolve gets the same answer as one that resolves inside', async (t) => {
  const a = await fakeApp(t, {}, { ENCRYPTION_KEY });
  const unknown = await put(a, 'https://no-such-host.invalid');
  const inside = await put(a, 'https://localhost');
  t.equal(unknown.status, 400);
  t.equal(String(unknown.body['message']).replace('no-such-host.invalid', 'HOST'), String(inside.body['message']).replace('localhost', 'HOST'));
});

t.test('a name listed by NCENTRAL_ALLOWED_HOSTS verifies against a server on the loopback', async (t) => {
  const fake = await startFakeNcentral({ estate: acmeEstate() });
  t.teardown(() => fake.close());
  const port = new URL(fake.url).port;
  const env = { ENCRYPTION_KEY, NCENTRAL_ALLOWED_HOSTS: 'localhost' };
  const testApp = await buildTestApp(t, { env, appOptions: { ncentralConnector: restConnector({ allowedHosts: allowedHosts('localhost'), pageSize: 2 }) } });
  const tenant = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, tenant.tenantId);
  const res = await testApp.app.inject({ method: 'PUT', url: '/admin/v1/ncentral/connection', headers: admin.headers, payload: { url: `https://localhost:${port}`, token: fake.userApiToken, caPem: fake.caPem } });
  t.equal(res.statusCode, 200);
  const verify = await testApp.app.inject({ method: 'POST', url: '/admin/v1/ncentral/verify', headers: admin.headers });
  t.match(verify.json(), { ok: true, problems: [] });
});

/** The whole app with a service whose DNS the test plays. */
async function appWithResolver(t: Test, resolve: HostResolver) {
  const testDb = await sharedTestDatabase();
  const clock = testClock();
  const ncentral = new NcentralService({
    db: testDb.database.db,
    clock,
    log: createLogger('silent'),
    encryptionKey: randomBytes(32),
    connector: restConnector({ allowedHosts: PUBLIC_ONLY, resolveHost: resolve, maxRetries: 0 }),
    allowedHosts: PUBLIC_ONLY,
    resolveHost: resolve,
  });
  const testApp = await buildTestApp(t, { env: { ENCRYPTION_KEY }, testDb, clock, appOptions: { ncentral } });
  const tenant = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, tenant.tenantId);
  return { ...testApp, headers: admin.headers };
}

t.test('DNS rebinding: a name public when saved and loopback when connecting is refused before any request', async (t) => {
  const fake = await startFakeNcentral({ estate: acmeEstate() });
  t.teardown(() => fake.close());
  const asked: string[] = [];
  // The first answer (the save-time check) is public; every later one points at the fake on 127.0.0.1.
  const rebinding: HostResolver = async (host) => {
    asked.push(host);
    return asked.length === 1 ? ['93.184.215.14'] : ['127.0.0.1'];
  };
  const a = await appWithResolver(t, rebinding);
  const port = new URL(fake.url).port;
  const saved = await a.app.inject({ method: 'PUT', url: '/admin/v1/ncentral/connection', headers: a.headers, payload: { url: `https://localhost:${port}`, token: fake.userApiToken, caPem: fake.caPem } });
  t.equal(saved.statusCode, 200, 'the name resolved to a public address when it was saved');
  const verify = await a.app.inject({ method: 'POST', url: '/admin/v1/ncentral/verify', headers: a.headers });
  const report = verify.json() as { ok: boolean; problems: { code: string; message: string }[] };
  t.equal(report.ok, false);
  t.same(report.problems.map((p) => p.code), ['notAllowed']);
  t.same(fake.requests, [], 'N-central on the loopback never saw a request');
  t.ok(asked.length >= 2, 'the name was resolved again when connecting');
  const sync = await a.app.inject({ method: 'POST', url: '/admin/v1/ncentral/sync?wait=true', headers: a.headers });
  t.match(sync.json(), { status: 'failed', error: /not allowed/ });
  t.same(fake.requests, []);
});

t.test('an address literal that is not allowed is refused without opening a socket', async (t) => {
  let connections = 0;
  const server = http.createServer((_req, res) => res.end('{}'));
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  for (const baseUrl of [`http://127.0.0.1:${port}`, `http://[::ffff:127.0.0.1]:${port}`]) {
    const client = new NcentralClient({ baseUrl, userApiToken: 'x', allowPlainHttp: true, maxRetries: 0 });
    const error = await client.serverInfo().then(() => null, (e: unknown) => e);
    await client.close();
    t.ok(error instanceof NcentralError && error.kind === 'notAllowed', baseUrl);
  }
  t.equal(connections, 0);
});

t.test("the sockets' lookup refuses a name with any internal address and hands out only checked ones", async (t) => {
  const lookupOf = (addresses: string[]) => guardedLookup({ allowed: PUBLIC_ONLY, resolve: async () => addresses });
  const run = (addresses: string[], options: { all?: boolean; family?: number }) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      lookupOf(addresses)('nc.example.com', options, (err, address, family) => resolve({ err, address, ...(family === undefined ? {} : { family }) })),
    );
  t.equal((await run(['93.184.215.14', '127.0.0.1'], { all: true })).err?.code, NOT_ALLOWED_CODE);
  t.equal((await run(['fd00::1'], {})).err?.code, NOT_ALLOWED_CODE);
  t.same((await run(['93.184.215.14', '2606:4700::1111'], { all: true })).address, [
    { address: '93.184.215.14', family: 4 },
    { address: '2606:4700::1111', family: 6 },
  ]);
  t.match(await run(['2606:4700::1111', '93.184.215.14'], { family: 4 }), { err: null, address: '93.184.215.14', family: 4 });
});

/** A server that answers every call with `answer`, its body full of text that must not come back. */
type Answer = { status: number; type: string; body: string; location?: string };

async function foreignServer(t: Test, answer: (path: string) => Answer) {
  const server = http.createServer((req, res) => {
    const a = answer(req.url ?? '');
    res.writeHead(a.status, { 'content-type': a.type, ...(a.location ? { location: a.location } : {}) });
    res.end(a.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new NcentralClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, userApiToken: 'x', allowPlainHttp: true, allowedHosts: LOOPBACK_ALLOWED, sleep: async () => {} });
  t.teardown(() => client.close());
  return client;
}

const FOREIGN = 'INTERNAL-BANNER redis 7.2 at 10.1.2.3';
const serverInfo = JSON.stringify({ data: { ncentralVersion: '2025.3.1.9', apiVersion: '3.1.0' } });
const tokens = JSON.stringify({ tokens: { access: { token: 'eyJhbGciOiJIUzI1NiJ9.e30.YQ', type: 'Bearer', expirySeconds: 3600 }, refresh: { token: 'eyJhbGciOiJIUzI1NiJ9.e30.Yg', type: 'Body', expirySeconds: 9000 } } });

t.test("verify's answer contains nothing of what the server said, at any stage", async (t) => {
  const json = (status: number, body: unknown) => ({ status, type: 'application/json', body: JSON.stringify(body) });
  const cases: Record<string, (path: string) => Answer> = {
    'server-info 500 with a message': () => json(500, { message: FOREIGN }),
    'server-info 404 as HTML': () => ({ status: 404, type: 'text/html', body: `<h1>${FOREIGN}</h1>` }),
    'server-info 418 as text': () => ({ status: 418, type: 'text/plain', body: FOREIGN }),
    'an error message inside a 200': () => json(200, { 'error message': FOREIGN }),
    'the token refused with a message': (p) => (p === '/api/server-info' ? { status: 200, type: 'application/json', body: serverInfo } : json(401, { message: FOREIGN })),
    'customers forbidden with a message': (p) =>
      p === '/api/server-info' ? { status: 200, type: 'application/json', body: serverInfo } : p === '/api/auth/authenticate' ? { status: 200, type: 'application/json', body: tokens } : json(403, { message: FOREIGN }),
    'customers failing with a message': (p) =>
      p === '/api/server-info' ? { status: 200, type: 'application/json', body: serverInfo } : p === '/api/auth/authenticate' ? { status: 200, type: 'application/json', body: tokens } : json(502, { error: FOREIGN }),
  };
  for (const [name, answer] of Object.entries(cases)) {
    const client = await foreignServer(t, answer);
    const report = await verifyConnection(client);
    t.equal(report.ok, false, name);
    t.notMatch(JSON.stringify(report), /INTERNAL-BANNER|redis|10\.1\.2\.3/, `${name}: ${JSON.stringify(report.problems)}`);
  }
});

t.test('refused, unresolvable and silent destinations read exactly alike', async (t) => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const silent = http.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    silent.closeAllConnections();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const silentPort = (silent.address() as AddressInfo).port;
  const unresolvable: HostResolver = async () => {
    throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
  };
  const allowed = allowedHosts('127.0.0.1, nc.invalid');
  const reports = [];
  for (const [baseUrl, resolveHost] of [
    [`http://127.0.0.1:${closedPort}`, undefined],
    [`http://nc.invalid:${closedPort}`, unresolvable],
    [`http://127.0.0.1:${silentPort}`, undefined],
  ] as const) {
    const client = new NcentralClient({ baseUrl, userApiToken: 'x', allowPlainHttp: true, allowedHosts: allowed, timeoutMs: 300, sleep: async () => {}, ...(resolveHost ? { resolveHost } : {}) });
    reports.push((await verifyConnection(client, { maxRetries: 0 })).problems);
    await client.close();
  }
  t.same(reports[0]?.map((p) => p.code), ['unreachable']);
  t.same(reports[1], reports[0]);
  t.same(reports[2], reports[0]);
});

t.test('a redirect is not followed: it is an unexpected answer', async (t) => {
  let calls = 0;
  const client = await foreignServer(t, () => {
    calls += 1;
    return { status: 302, type: 'text/plain', body: '', location: 'http://169.254.169.254/latest/meta-data/' };
  });
  const error = await client.serverInfo({ maxRetries: 0 }).then(() => null, (e: unknown) => e);
  t.ok(error instanceof NcentralError && error.kind === 'badResponse');
  t.equal(calls, 1);
});
