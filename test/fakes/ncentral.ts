/**
 * A fake N-central REST API-Service for tests and the sync benchmark, built from ../shared/ncentral-api.md:
 * JWT → access/refresh token exchange with expiry (401 after the TTL), the page envelope of §5 with the page
 * size clamped to a maximum, ids as numbers or strings, zone-less timestamps, a per-endpoint in-flight limit
 * answered with 429, random 429/503 faults, latency and dropped connections, permission switches and the
 * 90-day password failure. It runs over TLS with the certificates in test/fixtures/tls.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { FakeEstate, seededRandom } from './ncentral-estate.js';
import type { Ids } from './ncentral-json.js';
import { route, templateOf, type Answer, type RouteContext } from './ncentral-routes.js';
import { fakeJwt, FakeTokens } from './ncentral-tokens.js';

export { FakeEstate, generateEstate, seededRandom } from './ncentral-estate.js';
export { templateOf } from './ncentral-routes.js';
export type { FakeAssets, FakeCustomer, FakeDevice, FakeServiceOrg, FakeSite, NewDevice } from './ncentral-estate.js';

type EnvelopeField = 'pageNumber' | 'pageSize' | 'itemCount' | 'totalItems' | 'totalPages' | '_links' | '_warning';

export interface FakeFaults {
  /** Share of requests answered 429 at random. */
  rate429?: number;
  /** Share of requests answered 503 at random. */
  rate503?: number;
  latencyMs?: number;
  /** Share of requests whose connection is dropped without an answer. */
  dropRate?: number;
  /** Whether the 429s carry `Retry-After: 1` (undocumented for N-central, so off by default). */
  retryAfter?: boolean;
}

export interface FakeNcentralOptions {
  estate: FakeEstate;
  tls?: 'private-ca' | 'self-signed' | 'none';
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  /** The N-central version (/api/server-info `ncentral`, and /api/server-info/extra); null: neither route names one. */
  version?: string | null;
  /** /api/server-info answers `ncentral: null` as N-able's example does; only the extra route names the version. */
  versionOnlyInExtra?: boolean;
  /** What GET /api/devices/{id} answers for a device deleted from the estate (undocumented; three answers are seen). */
  goneDevices?: 'notFound' | 'deletedFlag' | 'unauthorized' | 'forbidden';
  /** Send the full page envelope on the lists the specification gives only `{data, totalItems}` (as some servers do). */
  fullEnvelopes?: boolean;
  faults?: FakeFaults;
  /** In-flight requests allowed per endpoint template before 429; a number for all or per template. Default 5. */
  maxConcurrentPerEndpoint?: number | Record<string, number>;
  /** Page sizes above this are clamped (with a `_warning`), or refused with 400 when `pageSizeAboveMax` says so. Default 1000. */
  maxPageSize?: number;
  pageSizeAboveMax?: 'clamp' | 'reject';
  /** Ids as JSON strings: all of them, or 'mixed' (every other object), as public clients report both (§1). */
  idsAsStrings?: boolean | 'mixed';
  /** Without device rights the device list is empty (the classic symptom), or 403 with `devicesAs: 'forbidden'`. */
  permissions?: { devices: boolean; customers: boolean; devicesAs?: 'empty' | 'forbidden' };
  passwordExpired?: boolean;
  /** Page envelope fields left out, to exercise clients on servers that send less (§5). */
  omitEnvelopeFields?: EnvelopeField[];
  /** Ignore pageNumber and always send the first page (a broken server). */
  ignorePageNumber?: boolean;
  /** Drives token expiry; defaults to the system clock. */
  clock?: { now(): Date };
  seed?: number;
  /** Keep the request log (on by default; the benchmark may turn it off). */
  recordRequests?: boolean;
}

export interface FakeRequestRecord {
  method: string;
  path: string;
  /** Path template, e.g. `/api/devices/{id}/assets`. */
  template: string;
  query: string;
  status: number;
}

export interface FakeNcentral {
  url: string;
  /** The PEM that makes the server's certificate trusted (the private CA, or the self-signed cert itself). */
  caPem: string;
  userApiToken: string;
  estate: FakeEstate;
  requests: FakeRequestRecord[];
  /** Live settings: tests may change faults, permissions, passwordExpired, version between calls. */
  options: FakeNcentralOptions;
  maxObservedConcurrency(path?: string): number;
  /** Answers by status (0 = dropped connection), kept even when the request log is off. */
  statusCounts(): Record<string, number>;
  /** Sessions not logged out whose access token has not expired. */
  openSessions(): number;
  expireAllTokens(): void;
  /** Issue a new User-API token; the old one stops working (as regenerating the JWT in N-central does). */
  rotateUserApiToken(): string;
  close(): Promise<void>;
}

const fixture = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), 'utf8');

export async function startFakeNcentral(options: FakeNcentralOptions): Promise<FakeNcentral> {
  const mode = options.tls ?? 'private-ca';
  const clock = options.clock ?? { now: () => new Date() };
  const random = seededRandom(options.seed ?? 7);
  let userApiToken = fakeJwt();
  const tokens = new FakeTokens(clock, () => ({ accessSeconds: options.accessTokenTtlSeconds ?? 3600, refreshSeconds: options.refreshTokenTtlSeconds ?? 90_000 }));
  const inFlight = new Map<string, number>();
  const observed = new Map<string, number>();
  const requests: FakeRequestRecord[] = [];
  const byStatus = new Map<number, number>();

  const limitFor = (template: string): number => {
    const limit = options.maxConcurrentPerEndpoint ?? 5;
    return typeof limit === 'number' ? limit : (limit[template] ?? 5);
  };
  let flip = false;
  const ids = (): Ids => {
    if (options.idsAsStrings !== 'mixed') return options.idsAsStrings ? 'strings' : 'numbers';
    flip = !flip;
    return flip ? 'strings' : 'numbers';
  };

  const context: RouteContext = { options, tokens, clock, userApiToken: () => userApiToken, ids, random };

  const handle = (request: http.IncomingMessage, response: http.ServerResponse, requestBody: string) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const template = templateOf(path);
    const method = request.method ?? 'GET';
    const record = (status: number) => {
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (options.recordRequests !== false) requests.push({ method, path, template, query: url.search, status });
    };
    const send = (answer: Answer) => {
      record(answer.status);
      const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(text);
    };
    // Concurrency is counted on arrival, rejected requests included: what the client actually sent.
    const current = (inFlight.get(template) ?? 0) + 1;
    inFlight.set(template, current);
    observed.set(template, Math.max(observed.get(template) ?? 0, current));
    const done = () => inFlight.set(template, (inFlight.get(template) ?? 1) - 1);
    if (current > limitFor(template)) {
      done();
      send({ status: 429, body: { status: 429, message: 'Too many concurrent requests.', errors: [] }, ...(options.faults?.retryAfter ? { headers: { 'retry-after': '1' } } : {}) });
      return;
    }
    const act = () => {
      done();
      const faults = options.faults ?? {};
      if ((faults.dropRate ?? 0) > 0 && random() < (faults.dropRate ?? 0)) {
        record(0);
        request.socket.destroy();
        return;
      }
      const roll = random();
      if (roll < (faults.rate429 ?? 0)) {
        send({ status: 429, body: { status: 429, message: 'Too many requests.' }, ...(faults.retryAfter ? { headers: { 'retry-after': '1' } } : {}) });
        return;
      }
      if (roll < (faults.rate429 ?? 0) + (faults.rate503 ?? 0)) {
        send({ status: 503, body: { status: 503, message: 'Service unavailable.' } });
        return;
      }
      send(route(context, method, path, url.searchParams, request, requestBody));
    };
    const latency = options.faults?.latencyMs ?? 0;
    if (latency > 0) setTimeout(act, latency);
    else act();
  };

  const listener = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks).toString('utf8')));
  };

  const server =
    mode === 'none'
      ? http.createServer(listener)
      : https.createServer(
          mode === 'self-signed'
            ? { key: fixture('self-signed.key'), cert: fixture('self-signed.pem') }
            : { key: fixture('server.key'), cert: fixture('server.pem') },
          listener,
        );
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${mode === 'none' ? 'http' : 'https'}://127.0.0.1:${port}`,
    caPem: mode === 'none' ? '' : mode === 'self-signed' ? fixture('self-signed.pem') : fixture('ca.pem'),
    get userApiToken() {
      return userApiToken;
    },
    estate: options.estate,
    requests,
    options,
    maxObservedConcurrency(path?: string) {
      if (path !== undefined) return observed.get(templateOf(path)) ?? 0;
      return Math.max(0, ...observed.values());
    },
    openSessions() {
      return tokens.openSessions();
    },
    statusCounts() {
      return Object.fromEntries([...byStatus].map(([status, count]) => [String(status), count]));
    },
    expireAllTokens() {
      tokens.expireAll();
    },
    rotateUserApiToken() {
      userApiToken = fakeJwt();
      return userApiToken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
