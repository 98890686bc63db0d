/**
 * SCIM load benchmark (issue 3): seeds N users into a fresh schema with one INSERT … SELECT generate_series,
 * starts the app in a child process on a loopback port and runs autocannon against each scenario, printing
 * req/s, p50 and p99. `npm run bench -- --users 1000000 --duration 10 --database-url postgres://…`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { createAuth } from '../src/oauth/auth.js';
import { createClient } from '../src/oauth/credential-service.js';
import { connectDatabase } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { postgresCpuMs, postgresCpuSince, processCpuMs } from './process-cpu.js';
import { cliActor } from '../src/audit/request-actor.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    'database-url': { type: 'string', default: process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' },
    pool: { type: 'string', default: '10' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'auth-rounds': { type: 'string', default: '3' },
    'log-rounds': { type: 'string', default: '3' },
  },
});
const users = Number(args.users);
const duration = Number(args.duration);
const connections = Number(args.connections);
const url = args['database-url'];
const schema = `bench_scim_${randomBytes(4).toString('hex')}`;
const tenantId = randomUUID();
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** A custom extension as Entra admins add them (issue 16): matched through the match_document GIN index. */
const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';
/** The OAuth client the real-token scenarios authenticate with (created by seed()). */
const oauth = { clientId: '', clientSecret: '' };

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function seed(): Promise<void> {
  await admin(`create schema ${schema}`);
  const database = await connectDatabase({ databaseUrl: url, schema, poolMax: 2, statementTimeoutMs: 600_000 });
  try {
    await migrateToLatest(database.db);
    await database.db.insertInto('tenants').values({ id: tenantId, name: `bench-${schema}`, created_at: new Date() }).execute();
    const started = Date.now();
    // Created one second apart in the past, so list order (created_at, id) is the series order.
    await sql`
      insert into accounts (tenant_id, id, user_name, external_id, given_name, family_name, display_name, email, active, resource, version, created_at, updated_at)
      select ${tenantId}::uuid, gen_random_uuid(), 'user' || g || '@bench.test', 'ext-' || g, 'Given' || g, 'Family' || g,
             'Given' || g || ' Family' || g, 'user' || g || '@bench.test', true,
             jsonb_build_object(
               'schemas', jsonb_build_array(${CORE}::text, ${ENTERPRISE}::text, ${CUSTOM}::text),
               'userName', 'user' || g || '@bench.test', 'externalId', 'ext-' || g, 'active', true,
               'displayName', 'Given' || g || ' Family' || g,
               'name', jsonb_build_object('givenName', 'Given' || g, 'familyName', 'Family' || g),
               'emails', jsonb_build_array(jsonb_build_object('type', 'work', 'primary', true, 'value', 'user' || g || '@bench.test')),
               ${ENTERPRISE}::text, jsonb_build_object('employeeNumber', 'E' || g, 'department', 'Dept' || (g % 50)),
               ${CUSTOM}::text, jsonb_build_object('tag', 'Tag-' || g)),
             1, now() - make_interval(secs => ${users} - g), now() - make_interval(secs => ${users} - g)
      from generate_series(1, ${users}::int) as g`.execute(database.db);
    await sql`vacuum analyze accounts`.execute(database.db);
    Object.assign(oauth, await createClient({ db: database.db, clock: systemClock }, tenantId, cliActor('bench')));
    process.stdout.write(`seeded ${users} users in ${((Date.now() - started) / 1000).toFixed(1)} s (schema ${schema})\n`);
  } finally {
    await database.close();
  }
}

async function startServer(logEnabled: boolean, auth: 'none' | 'real' = 'none'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/scim-server.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      DATABASE_SCHEMA: schema,
      DATABASE_POOL_MAX: args.pool,
      LOG_LEVEL: 'warn',
      PROVISIONING_LOG_ENABLED: String(logEnabled),
      PUBLIC_BASE_URL: 'http://127.0.0.1',
      BENCH_TENANT_ID: tenantId,
      BENCH_AUTH: auth,
      // The token-endpoint scenario is one client at one address, and every scenario is one tenant: lift the
      // limits so they are not what is measured.
      TOKEN_FAILURE_LIMIT_PER_CLIENT_ADDRESS: '1000000',
      TOKEN_RATE_LIMIT_PER_ADDRESS: '1000000',
      TENANT_MAX_CONCURRENT_REQUESTS: '100000',
      TENANT_REQUESTS_PER_SECOND: '1000000',
      TENANT_REQUEST_BURST: '1000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffer = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const m = /listening (\d+)/.exec(buffer);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, port };
}

async function stopServer(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

const pick = () => 1 + Math.floor(Math.random() * users);
const headers = { 'content-type': 'application/scim+json' };
let createSeq = 0;
const runTag = randomBytes(3).toString('hex');

type Scenario = {
  name: string;
  request: () => { method: 'GET' | 'POST' | 'PATCH'; path: string; body?: string; headers?: Record<string, string> };
};

const scenarios: Scenario[] = [
  { name: 'filter userName eq', request: () => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${pick()}@bench.test"`)}` }) },
  { name: 'filter externalId eq', request: () => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`externalId eq "ext-${pick()}"`)}` }) },
  { name: 'filter employeeNumber eq (enterprise)', request: () => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`${ENTERPRISE}:employeeNumber eq "E${pick()}"`)}` }) },
  { name: 'filter custom attribute eq', request: () => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`${CUSTOM}:tag eq "tag-${pick()}"`)}` }) },
  {
    name: 'create',
    request: () => {
      const n = `new-${runTag}-${++createSeq}`;
      return {
        method: 'POST',
        path: '/scim/v2/Users',
        body: JSON.stringify({
          schemas: [CORE], userName: `${n}@bench.test`, externalId: n, active: true, name: { givenName: 'New', familyName: n },
          emails: [{ type: 'work', primary: true, value: `${n}@bench.test` }],
        }),
      };
    },
  },
  { name: 'PATCH', request: () => ({ method: 'PATCH', path: `/scim/v2/Users/${ids[Math.floor(Math.random() * ids.length)]}`, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'name.familyName', value: `F${Math.random()}` }] }) }) },
  { name: 'deep page (count=100)', request: () => ({ method: 'GET', path: `/scim/v2/Users?startIndex=${Math.max(1, users - 100 - Math.floor(Math.random() * 100))}&count=100` }) },
];

let ids: string[] = [];

const filterUserName = (): string => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${pick()}@bench.test"`)}`;

/** The middle value (the upper one of an even count): per-round ratios swing, so one outlier round must not decide. */
const medianOf = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;

/** The same filter, with and without authentication: the issue wants the real-token figure within 10 %. */
const authScenarios = (accessToken: string): { plain: Scenario; real: Scenario; token: Scenario } => ({
  plain: { name: 'filter (no auth)', request: () => ({ method: 'GET', path: filterUserName() }) },
  real: { name: 'filter (real token)', request: () => ({ method: 'GET', path: filterUserName(), headers: { authorization: `Bearer ${accessToken}` } }) },
  token: {
    name: 'token endpoint',
    request: () => ({
      method: 'POST',
      path: '/oauth2/token',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: oauth.clientId, client_secret: oauth.clientSecret }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
  },
});

/**
 * The authenticator's own cost, in this process with no HTTP around it: end-to-end figures on a shared machine
 * swing far more than 10 %, so this is the number that shows what real tokens add to each SCIM request.
 */
async function measureAuthenticator(): Promise<void> {
  const database = await connectDatabase({ databaseUrl: url, schema, poolMax: 2 });
  try {
    const config = loadConfig({ PUBLIC_BASE_URL: 'http://127.0.0.1', LOG_LEVEL: 'silent' });
    const auth = createAuth({ config, database, clock: systemClock, log: createLogger('silent'), metrics: createMetrics(database) });
    const credentials = { method: 'client_secret_post' as const, ...oauth };
    const where = { issuer: 'http://127.0.0.1', audience: 'http://127.0.0.1/scim/v2' };
    const issued = await auth.tokens.issue(credentials, undefined, where);
    const request = { headers: { authorization: `Bearer ${issued.access_token}` }, url: '/scim/v2/Users', protocol: 'http', host: '127.0.0.1' };
    const authenticate = () => auth.scimAuthenticator(request as never);
    await authenticate();
    const n = 100_000;
    let started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await authenticate();
    const perCallUs = Number(process.hrtime.bigint() - started) / 1000 / n;
    const issues = 200;
    started = process.hrtime.bigint();
    for (let i = 0; i < issues; i++) await auth.tokens.issue(credentials, undefined, where);
    const perIssueMs = Number(process.hrtime.bigint() - started) / 1e6 / issues;
    process.stdout.write(
      `authenticator, cached access token: ${perCallUs.toFixed(1)} µs per request (${n} calls; a client-status re-read every CREDENTIAL_RECHECK_SECONDS included)\n` +
        `token issuance (client lookup, digest check, ES256 signature, last_used_at update), one at a time: ${perIssueMs.toFixed(1)} ms\n`,
    );
  } finally {
    await database.close();
  }
}

async function fetchAccessToken(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: oauth.clientId, client_secret: oauth.clientSecret }),
  });
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * Auth overhead: two servers (trivial authenticator / production authenticator) on the same data, loaded at the
 * same time with half the connections each, so the shared machine's load swings hit both alike (sequential runs
 * swung 6x here); the ratio of their throughputs is the figure. Then the token endpoint alone.
 */
async function runAuth(figures: Figure[], wantFilter: boolean, wantToken: boolean): Promise<void> {
  const plainServer = await startServer(true, 'none');
  const realServer = await startServer(true, 'real');
  try {
    const s = authScenarios(await fetchAccessToken(realServer.port));
    if (wantFilter) {
      await run(plainServer.port, s.plain, 'on', 3);
      await run(realServer.port, s.real, 'on', 3);
      const rounds = Number(args['auth-rounds']);
      const ratios: number[] = [];
      const totals = { plain: 0, real: 0 };
      const half = Math.max(1, Math.floor(connections / 2));
      for (let i = 0; i < rounds; i++) {
        const [plain, real] = await Promise.all([
          run(plainServer.port, s.plain, 'on', duration, half),
          run(realServer.port, s.real, 'on', duration, half),
        ]);
        figures.push(plain, real);
        ratios.push(real.rps / plain.rps);
        totals.plain += plain.rps;
        totals.real += real.rps;
      }
      const median = medianOf(ratios);
      process.stdout.write(
        `real-token / no-auth filter throughput per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median.toFixed(2)}; ` +
          `over all rounds ${totals.real} / ${totals.plain} = ${(totals.real / totals.plain).toFixed(2)}\n`,
      );
    }
    if (wantToken) {
      await run(realServer.port, s.token, 'on', 3);
      figures.push(await run(realServer.port, s.token, 'on'));
    }
  } finally {
    await stopServer(plainServer.child);
    await stopServer(realServer.child);
  }
}

/**
 * Logging overhead on writes: a server with the provisioning log on and one with it off, on the same data, each
 * loaded alone with all connections in alternating rounds (on, off, then off, on, …), so drift over the run
 * (table growth, autovacuum, checkpoints) falls on both sides alike. The figure is the median of the per-round
 * throughput ratios; sequential single runs swung more than the overhead being measured. Beside it, the CPU each
 * write cost the app process and PostgreSQL (all its backends) over all rounds, the steadier view of the same cost.
 */
async function runLogOverhead(figures: Figure[], writes: Scenario[]): Promise<void> {
  const on = await startServer(true);
  const off = await startServer(false);
  try {
    if (scenarios[0]) {
      await run(on.port, scenarios[0], 'on', 3);
      await run(off.port, scenarios[0], 'off', 3);
    }
    const rounds = Number(args['log-rounds']);
    for (const s of writes) {
      const ratios: number[] = [];
      const cpu = { on: { app: 0, db: 0, requests: 0 }, off: { app: 0, db: 0, requests: 0 } };
      for (let i = 0; i < rounds; i++) {
        const order = i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
        const rps = { on: 0, off: 0 };
        for (const side of order) {
          const server = side === 'on' ? on : off;
          const app0 = processCpuMs(server.child.pid ?? 0);
          const db0 = postgresCpuMs();
          const figure = await run(server.port, s, side);
          const app1 = processCpuMs(server.child.pid ?? 0);
          if (app0 !== undefined && app1 !== undefined && db0 !== undefined) {
            cpu[side].app += app1 - app0;
            cpu[side].db += postgresCpuSince(db0);
            cpu[side].requests += figure.requests;
          }
          figures.push(figure);
          rps[side] = figure.rps;
        }
        ratios.push(rps.on / rps.off);
      }
      const median = medianOf(ratios);
      process.stdout.write(
        `${s.name}: log on / log off throughput per round ${ratios.map((r) => r.toFixed(2)).join(', ')}; ` +
          `median ${median.toFixed(2)} (logging costs ${((1 - median) * 100).toFixed(0)} %)\n`,
      );
      if (cpu.on.requests > 0 && cpu.off.requests > 0) {
        const perRequest = (c: { app: number; db: number; requests: number }) => ({ app: (c.app * 1000) / c.requests, db: (c.db * 1000) / c.requests });
        const [a, b] = [perRequest(cpu.on), perRequest(cpu.off)];
        process.stdout.write(
          `${s.name}: CPU per request, log on: app ${a.app.toFixed(0)} µs + PostgreSQL ${a.db.toFixed(0)} µs; ` +
            `log off: app ${b.app.toFixed(0)} µs + PostgreSQL ${b.db.toFixed(0)} µs ` +
            `(logging adds ${(((a.app + a.db) / (b.app + b.db) - 1) * 100).toFixed(0)} %)\n`,
        );
      }
    }
  } finally {
    await stopServer(on.child);
    await stopServer(off.child);
  }
}

async function loadIds(): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const r = await client.query<{ id: string }>(`select id from ${schema}.accounts tablesample system (1) limit 5000`);
  await client.end();
  ids = r.rows.map((x) => x.id);
}

interface Figure { scenario: string; log: string; rps: number; p50: number; p99: number; errors: number; non2xx: number; requests: number }

async function run(port: number, s: Scenario, log: string, seconds = duration, conns = connections): Promise<Figure> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: conns,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const { headers: extra, ...rest } = s.request();
          return { ...req, ...rest, headers: { ...headers, ...extra } };
        },
      },
    ],
  });
  if (seconds !== duration) return { scenario: s.name, log, rps: 0, p50: 0, p99: 0, errors: 0, non2xx: 0, requests: 0 };
  const fig = { scenario: s.name, log, rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx, requests: result.requests.total };
  process.stdout.write(`${s.name.padEnd(24)} log=${log.padEnd(3)} ${String(fig.rps).padStart(6)} req/s  p50 ${fig.p50} ms  p99 ${fig.p99} ms  errors ${fig.errors}  non-2xx ${fig.non2xx}\n`);
  return fig;
}

async function main(): Promise<void> {
  await seed();
  await loadIds();
  const only = args.only?.split(',');
  const selected = scenarios.filter((s) => !only || only.some((o) => s.name.toLowerCase().startsWith(o.toLowerCase())));
  const wantAuthFilter = !only || only.includes('auth');
  const wantToken = !only || only.includes('auth') || only.includes('token');
  const figures: Figure[] = [];
  try {
    if (wantAuthFilter || wantToken) {
      await measureAuthenticator();
      await runAuth(figures, wantAuthFilter, wantToken);
    }
    if (selected.length) {
      const server = await startServer(true);
      // A short unrecorded run first, so the JIT and the pool are warm before the first figure.
      if (scenarios[0]) await run(server.port, scenarios[0], 'on', 3);
      for (const s of selected) figures.push(await run(server.port, s, 'on'));
      await stopServer(server.child);
    }
    const writes = selected.filter((s) => s.name === 'create' || s.name === 'PATCH');
    if (writes.length) await runLogOverhead(figures, writes);
  } finally {
    if (!args.keep) await admin(`drop schema if exists ${schema} cascade`);
  }
  process.stdout.write(`\n${users} users, ${connections} connections, ${duration} s per scenario, pool ${args.pool}\n`);
  process.stdout.write('| scenario | log | req/s | p50 ms | p99 ms | errors | non-2xx |\n|---|---|---|---|---|---|---|\n');
  for (const f of figures) process.stdout.write(`| ${f.scenario} | ${f.log} | ${f.rps} | ${f.p50} | ${f.p99} | ${f.errors} | ${f.non2xx} |\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
