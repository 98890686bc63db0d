/**
 * Issue 15 item 4: a hostile N-central must not be read into memory until the process dies. Each test serves one
 * way of misbehaving from a scripted server; the client stops with `serverMisbehaved` once a cap is hit.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { NcentralClient, NcentralError } from '../../src/ncentral/client.js';
import type { NcentralLimits } from '../../src/ncentral/limits.js';
import { collect, failure, LOOPBACK_ALLOWED } from '../helpers/ncentral.js';

const ACCESS = 'eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJhY2Nlc3MifQ.YWNjZXNzLXRva2VuLXNpZ25hdHVyZQ';
const TOKENS = JSON.stringify({ tokens: { access: { token: ACCESS, type: 'Bearer', expirySeconds: 3600 }, refresh: { token: `${ACCESS}r`, type: 'Body', expirySeconds: 90000 } } });

interface TestLike {
  teardown(fn: () => unknown): void;
}

type Serve = (pageNumber: number, res: http.ServerResponse) => void;

/** A server that authenticates and answers every /api/devices page with `serve`; counts the pages asked. */
async function hostile(t: TestLike, serve: Serve, limits: Partial<NcentralLimits>) {
  const asked: number[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/auth/authenticate') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(TOKENS);
      return;
    }
    const pageNumber = Number(url.searchParams.get('pageNumber') ?? '1');
    asked.push(pageNumber);
    serve(pageNumber, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new NcentralClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    userApiToken: ACCESS,
    allowPlainHttp: true,
    allowedHosts: LOOPBACK_ALLOWED,
    maxRetries: 0,
    sleep: async () => {},
    limits,
  });
  t.teardown(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { client, asked };
}

const device = (id: number, longName = `PC-${id}`) => ({ deviceId: id, customerId: 100, longName });

function json(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

t.test('a server announcing a billion pages is read only up to the page cap', async (t) => {
  const { client, asked } = await hostile(
    t,
    (n, res) => json(res, { data: Array.from({ length: 10 }, (_, i) => device(n * 10 + i)), pageNumber: n, pageSize: 10, totalItems: 1e10, totalPages: 1e9 }),
    { maxPagesPerListing: 5 },
  );
  const error = await failure(collect(client.devices({ pageSize: 10 })));
  t.equal(error.kind, 'serverMisbehaved');
  t.match(error.message, /more pages past 5/);
  t.same(asked, [1, 2, 3, 4, 5]);
});

t.test('a listing that keeps growing past the item cap stops there', async (t) => {
  const { client, asked } = await hostile(t, (n, res) => json(res, { data: Array.from({ length: 100 }, (_, i) => device(n * 100 + i)), totalItems: 1e9 }), { maxItemsPerListing: 250 });
  const error = await failure(collect(client.devices({ pageSize: 100 })));
  t.equal(error.kind, 'serverMisbehaved');
  t.match(error.message, /more than 250 items/);
  t.same(asked, [1, 2, 3]);
});

t.test('a field longer than the cap stops the listing', async (t) => {
  const { client } = await hostile(t, (_n, res) => json(res, { data: [device(1), device(2, 'x'.repeat(100_000))], totalItems: 2 }), { maxFieldChars: 8192 });
  const error = await failure(collect(client.devices()));
  t.equal(error.kind, 'serverMisbehaved');
  t.match(error.message, /field longer than 8192/);
});

t.test('a huge answer is cut off while it streams in, not after it was buffered, and memory stays flat', async (t) => {
  const total = 256 * 1024 * 1024;
  let written = 0;
  const chunk = Buffer.from(`{"deviceId":1,"customerId":100,"longName":"${'x'.repeat(65_000)}"},`);
  const { client } = await hostile(
    t,
    (_n, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":[');
      // Backpressure-driven, so the server holds at most a socket buffer: what it managed to send is what was read.
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end('{}]}');
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    },
    { maxAnswerBytes: 1024 * 1024 },
  );
  const before = process.memoryUsage();
  const error = await failure(collect(client.devices()));
  const after = process.memoryUsage();
  t.equal(error.kind, 'serverMisbehaved');
  t.match(error.message, /larger than 1048576 bytes/);
  t.ok(written < 16 * 1024 * 1024, `the server got to send ${written} of ${total} bytes before the client hung up`);
  t.ok(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers) < 64 * 1024 * 1024, 'no body was buffered past the cap');
});

t.test('a declared Content-Length past the cap is refused before the body is read', async (t) => {
  const { client } = await hostile(
    t,
    (_n, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) });
      res.write('{"data":[');
    },
    { maxAnswerBytes: 1024 * 1024 },
  );
  t.equal((await failure(collect(client.devices()))).kind, 'serverMisbehaved');
});

t.test('distinct pages that each pass the answer cap still stop at the bytes-per-run cap', async (t) => {
  const padding = 'y'.repeat(4000);
  const { client, asked } = await hostile(
    t,
    (n, res) => json(res, { data: Array.from({ length: 75 }, (_, i) => ({ ...device(n * 1000 + i), description: padding })), pageNumber: n, pageSize: 75, totalPages: 1e9 }),
    { maxBytesPerRun: 2 * 1024 * 1024, maxAnswerBytes: 1024 * 1024 },
  );
  const error = await failure(collect(client.devices({ pageSize: 75 })));
  t.equal(error.kind, 'serverMisbehaved');
  t.match(error.message, /more than 2097152 bytes in one run/);
  t.ok(asked.length >= 6 && asked.length <= 8, `stopped after ${asked.length} pages of ~300 KB`);
  t.ok(client.stats().bytes <= 2 * 1024 * 1024);
});
