/**
 * Odd answers a real N-central (or something in front of it) gives, served by a tiny scripted HTTP server,
 * and the rule that no token ever reaches an error message or an event.
 */
import http from 'node:http';
import { inspect } from 'node:util';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { NcClientEvent } from '../../src/ncentral/api-types.js';
import { NcentralClient, NcentralError } from '../../src/ncentral/client.js';
import { verifyConnection } from '../../src/ncentral/verify.js';
import { generateEstate } from '../fakes/ncentral.js';
import { collect, connectToFake, failure, LOOPBACK_ALLOWED } from '../helpers/ncentral.js';

const JWT = 'eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJhcGktdXNlciJ9.c2VjcmV0LXNpZ25hdHVyZS1vZi10aGUtdXNlci1hcGktdG9rZW4';
const ACCESS = 'eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJhY2Nlc3MifQ.YWNjZXNzLXRva2VuLXNpZ25hdHVyZQ';
const TOKENS = JSON.stringify({ tokens: { access: { token: ACCESS, type: 'Bearer', expirySeconds: 3600 }, refresh: { token: `${ACCESS}r`, type: 'Body', expirySeconds: 90000 } } });

type Script = (req: http.IncomingMessage, body: string) => { status: number; body: string; headers?: Record<string, string> };

interface TestLike {
  teardown(fn: () => unknown): void;
}

/** A server that authenticates normally and answers every other call from `script`. */
async function scripted(t: TestLike, script: Script, events: NcClientEvent[] = []) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer =
        req.url === '/api/auth/authenticate' && req.headers.authorization === `Bearer ${JWT}`
          ? { status: 200, body: JSON.stringify({ tokens: { access: { token: ACCESS, type: 'Bearer', expirySeconds: 3600 }, refresh: { token: `${ACCESS}r`, type: 'Body', expirySeconds: 90000 } } }) }
          : script(req, body);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new NcentralClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    userApiToken: JWT,
    allowPlainHttp: true,
    allowedHosts: LOOPBACK_ALLOWED,
    maxRetries: 2,
    sleep: async () => {},
    onEvent: (e) => events.push(e),
  });
  t.teardown(async () => {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return client;
}

t.test('an "error message" inside a 200 body is an error, not data', async (t) => {
  const client = await scripted(t, () => ({ status: 200, body: JSON.stringify({ 'error message': 'Report generation failed' }) }));
  const error = await failure(collect(client.customers()));
  t.equal(error.kind, 'server');
  // The server's own words are not echoed (issue 15): a tenant picks the server and reads the message.
  t.notMatch(error.message, /Report generation failed/);
  t.match(error.message, /inside its answer on \/api\/customers/);
});

t.test('a 200 that is not JSON is a badResponse', async (t) => {
  const client = await scripted(t, () => ({ status: 200, body: '<html>login</html>' }));
  t.equal((await failure(collect(client.customers()))).kind, 'badResponse');
});

t.test('a 200 without a data array is not taken for an empty page', async (t) => {
  const client = await scripted(t, () => ({ status: 200, body: JSON.stringify({ items: [] }) }));
  t.equal((await failure(collect(client.devices()))).kind, 'badResponse');
});

t.test('a 400 (e.g. a bad select filter) is not retried', async (t) => {
  let calls = 0;
  const client = await scripted(t, () => {
    calls += 1;
    return { status: 400, body: JSON.stringify({ message: 'Field not found: x' }) };
  });
  // pageSize 50: the smallest size, so no step down to a smaller page either.
  const error = await failure(collect(client.devices({ pageSize: 50 })));
  t.equal(error.kind, 'badResponse');
  t.match(error.message, /HTTP 400 on \/api\/devices/);
  t.notMatch(error.message, /Field not found/, 'the server\'s words are not echoed (issue 15)');
  t.equal(calls, 1);
});

t.test('a device list item without a usable id is skipped and reported, the rest are kept', async (t) => {
  const events: NcClientEvent[] = [];
  const client = await scripted(
    t,
    () => ({ status: 200, body: JSON.stringify({ data: [{ deviceId: 'x', customerId: 1 }, { deviceId: 7, customerId: 1, longName: 'A' }], totalPages: 1, pageNumber: 1 }) }),
    events,
  );
  const devices = await collect(client.devices());
  t.same(devices.map((d) => d.deviceId), ['7']);
  t.same(events.filter((e) => e.type === 'itemSkipped'), [{ type: 'itemSkipped', endpoint: '/api/devices', reason: 'missing or unreadable id' }]);
});

t.test('a server message, echoed tokens and all, never reaches the error', async (t) => {
  const client = await scripted(t, (req) => ({ status: 500, body: JSON.stringify({ message: `bad header ${req.headers.authorization ?? ''} and ${JWT}` }) }));
  const error = await failure(collect(client.customers()));
  t.equal(error.kind, 'server');
  t.notMatch(error.message, ACCESS);
  t.notMatch(error.message, JWT);
  t.notMatch(error.message, /bad header/);
  t.match(error.message, /HTTP 500 on \/api\/customers/);
});

t.test('the User-API token and access tokens never appear in any error message or event', async (t) => {
  const seen: string[] = [];
  const record = async (client: NcentralClient, events: NcClientEvent[], run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      seen.push(error instanceof Error ? `${error.message} ${String(error.stack)} ${JSON.stringify(error)}` : String(error));
    }
    seen.push(JSON.stringify(events), JSON.stringify(client.stats()));
  };
  const estate = generateEstate({ customers: 2, devices: 6 });
  const scenarios: { fake: Parameters<typeof connectToFake>[1]; client?: Parameters<typeof connectToFake>[2]; run: (c: NcentralClient) => Promise<unknown> }[] = [
    { fake: {}, run: (c) => collect(c.devices()) },
    { fake: {}, client: { userApiToken: 'eyJhbGciOiJIUzUxMiJ9.eyJ4IjoxfQ.wrong-signature-here' }, run: (c) => collect(c.customers()) },
    { fake: { passwordExpired: true }, run: (c) => collect(c.customers()) },
    { fake: { faults: { rate429: 1 } }, client: { maxRetries: 2 }, run: (c) => collect(c.sites()) },
    { fake: { faults: { rate503: 1 } }, client: { maxRetries: 1 }, run: (c) => c.deviceAssets('1000000000') },
    { fake: { permissions: { customers: false, devices: false } }, run: (c) => verifyConnection(c) },
    { fake: { tls: 'self-signed' }, client: { caPem: undefined }, run: (c) => verifyConnection(c) },
    { fake: { faults: { latencyMs: 200 } }, client: { timeoutMs: 20, maxRetries: 0 }, run: (c) => collect(c.customers()) },
  ];
  const tokens: string[] = [];
  for (const scenario of scenarios) {
    const { fake, client, events } = await connectToFake(t, { estate, ...scenario.fake }, scenario.client ?? {});
    tokens.push(fake.userApiToken);
    await record(client, events, async () => {
      await client.authenticate().catch(() => undefined);
      fake.expireAllTokens();
      const result = await scenario.run(client);
      seen.push(JSON.stringify(result));
    });
  }
  const everything = seen.join('\n');
  t.ok(everything.length > 1000, 'there is output to search');
  for (const token of tokens) t.notMatch(everything, token);
  t.notMatch(everything, 'wrong-signature-here');
  // Every token the fake issues is JWT-shaped and starts with "eyJ": none may show at all.
  t.notMatch(everything, /eyJ[\w-]+\./);
});

t.test('a server that reports a short last page\'s length as its pageSize does not make the client re-read items', async (t) => {
  const all = Array.from({ length: 25 }, (_, i) => ({ customerId: 100 + i, customerName: `C${i}`, parentId: 50 }));
  const asked: string[] = [];
  const client = await scripted(t, (req) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const size = Math.min(Number(query.get('pageSize')), 10);
    const number = Number(query.get('pageNumber'));
    asked.push(`${number}/${query.get('pageSize')}`);
    const data = all.slice((number - 1) * size, number * size);
    return { status: 200, body: JSON.stringify({ data, pageNumber: number, pageSize: data.length === 0 ? size : data.length }) };
  });
  const customers = await collect(client.customers());
  t.equal(customers.length, 25);
  t.equal(new Set(customers.map((c) => c.customerId)).size, 25);
  // The third page is shorter than the size the server stated on the first: the listing ends without asking again.
  t.same(asked, ['1/1000', '2/10', '3/10']);
});

t.test('an answer cut off mid-body is retried as a network failure', async (t) => {
  let calls = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/api/auth/authenticate') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(TOKENS);
      return;
    }
    calls += 1;
    const body = JSON.stringify({ version: '3.1.0', ncentral: '2024.6.0.19' });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    if (calls === 1) {
      res.write(body.slice(0, 10));
      setTimeout(() => res.destroy(), 10);
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const events: NcClientEvent[] = [];
  const client = new NcentralClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, userApiToken: JWT, allowPlainHttp: true, allowedHosts: LOOPBACK_ALLOWED, sleep: async () => {}, onEvent: (e) => events.push(e) });
  t.teardown(async () => {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  t.equal((await client.serverInfo()).ncentralVersion, '2024.6.0.19');
  t.equal(calls, 2);
  t.match(events.find((e) => e.type === 'retry'), { kind: 'network', status: null });
});

t.test('neither JSON.stringify nor util.inspect of a client reveals a token, even mid-call', async (t) => {
  const { fake, client } = await connectToFake(t, { estate: generateEstate({ customers: 1, devices: 2 }), faults: { latencyMs: 200 } });
  await client.authenticate();
  const pending = client.device(String(fake.estate.listDevices()[0]?.deviceId));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const views = [JSON.stringify(client), inspect(client, { depth: Infinity, showHidden: true, getters: true })];
  await pending;
  views.push(JSON.stringify(client), inspect(client, { depth: Infinity, showHidden: true }));
  for (const view of views) {
    t.notMatch(view, fake.userApiToken);
    t.notMatch(view, /eyJ[\w-]+\./);
  }
});

t.test('a kept-alive socket the server closed is re-sent on a fresh one at once, with no backoff', async (t) => {
  const perSocket = new WeakMap<object, number>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    // The second request on a connection meets a socket the server has given up on.
    if (n === 2) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url === '/api/auth/authenticate' ? TOKENS : JSON.stringify({ version: '3.1.0', ncentral: '2024.6.0.19' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sleeps: number[] = [];
  const client = new NcentralClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, userApiToken: JWT, allowPlainHttp: true, allowedHosts: LOOPBACK_ALLOWED, sleep: async (ms) => void sleeps.push(ms) });
  t.teardown(async () => {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await client.authenticate();
  t.equal((await client.serverInfo()).ncentralVersion, '2024.6.0.19');
  t.equal(requests, 3);
  t.same(sleeps, []);
  t.equal(client.stats().retries, 0);
});
