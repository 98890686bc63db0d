/**
 * Console page timings on a tenant with a large provisioning log (issue 7: "fast on a tenant with a million log
 * entries"). Seeds N entries over 30 days (plus a second tenant's), then renders each page through inject() —
 * the whole route: session, CSRF-free GETs, the logs service's indexed keyset queries and the HTML — and prints
 * the median and worst of `--runs` renders. `npx tsx bench/console.ts --entries 1000000`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { connectDatabase } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { insertTenant } from '../src/store/tenants.js';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '15' },
    'database-url': { type: 'string', default: process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const entries = Number(args.entries);
const runs = Number(args.runs);
const url = args['database-url'];
const schema = `bench_console_${randomBytes(4).toString('hex')}`;

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

await admin(`create schema ${schema}`);
const database = await connectDatabase({ databaseUrl: url, schema, poolMax: 10, statementTimeoutMs: 600_000 });
try {
  await migrateToLatest(database.db);
  const now = new Date();
  const tenantId = randomUUID();
  const otherId = randomUUID();
  await insertTenant(database.db, { id: tenantId, name: 'Big tenant', createdAt: now });
  await insertTenant(database.db, { id: otherId, name: 'Other tenant', createdAt: now });
  const seedStarted = Date.now();
  // One entry every few seconds over 30 days; every 20th a failure; 5,000 distinct users.
  const span = 30 * 24 * 3600;
  for (const [tenant, n] of [[tenantId, entries], [otherId, Math.round(entries / 10)]] as const) {
    await sql`insert into provisioning_log (tenant_id, occurred_at, client_id, request_id, operation, target_id, target_user_name,
        target_external_id, http_status, outcome, scim_type, detail, changes, duration_ms)
      select ${tenant}::uuid, ${now}::timestamptz - make_interval(secs => (g * ${span}::float8 / ${n})),
        'entra', md5(g::text), case when g % 3 = 0 then 'Update' else 'Create' end, null, 'user' || (g % 5000) || '@contoso.example',
        null, case when g % 20 = 0 then 409 else 201 end, case when g % 20 = 0 then 'failure' else 'success' end,
        case when g % 20 = 0 then 'uniqueness' else null end, case when g % 20 = 0 then 'userName is already taken' else null end,
        '[{"attribute":"title","old":"a","new":"b"}]'::jsonb, 10
      from generate_series(1, ${n}) g`.execute(database.db);
  }
  await sql`analyze provisioning_log`.execute(database.db);
  console.log(`seeded ${entries} entries (+${Math.round(entries / 10)} in another tenant) in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

  const config = loadConfig({ LOG_LEVEL: 'silent', PUBLIC_BASE_URL: 'http://bench.test' });
  const log = createLogger('silent');
  const app = await buildApp(
    { config, database, clock: systemClock, log, metrics: createMetrics(database) },
    { consoleAdminTokens: async () => ({ tenantId, subject: 'bench', role: 'viewer' }) },
  );
  await app.ready();
  const signIn = await app.inject({ method: 'GET', url: '/console/sign-in' });
  const anon = signIn.cookies[0] as { name: string; value: string };
  const csrf = /name="_csrf" value="([^"]+)"/.exec(signIn.body)?.[1] ?? '';
  const signedIn = await app.inject({
    method: 'POST',
    url: '/console/sign-in/token',
    headers: { cookie: `${anon.name}=${anon.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrf, token: 'x' }).toString(),
  });
  const session = signedIn.cookies[0] as { name: string; value: string };
  const get = (path: string) => app.inject({ method: 'GET', url: path, headers: { cookie: `${session.name}=${session.value}` } });

  const first = await get('/console/logs');
  let deep = first.body;
  for (let i = 0; i < 100; i++) {
    const next = /href="(\/console\/logs\?[^"]*cursor=[^"]+)"/.exec(deep)?.[1]?.replaceAll('&amp;', '&');
    if (!next) break;
    deep = (await get(next)).body;
  }
  const deepLink = /href="(\/console\/logs\?[^"]*cursor=[^"]+)"/.exec(deep)?.[1]?.replaceAll('&amp;', '&') ?? '/console/logs';
  const entryId = /href="\/console\/logs\/(\d+)"/.exec(first.body)?.[1] ?? '1';
  const monthAgo = new Date(now.getTime() - 30 * 24 * 3600_000).toISOString().slice(0, 16);
  const scenarios: [string, string][] = [
    ['logs, last 24 h (page 1 + hourly chart)', '/console/logs'],
    ['logs, 30-day window (chart of 720 hours)', `/console/logs?from=${monthAgo}`],
    ['logs, one userName over 30 days', `/console/logs?from=${monthAgo}&userName=user42%40contoso.example`],
    ['logs, failures only over 30 days', `/console/logs?from=${monthAgo}&outcome=failure`],
    ['logs, page 101 (keyset cursor)', deepLink],
    ['log entry detail', `/console/logs/${entryId}`],
    ['users page', '/console/users'],
  ];
  console.log(`\n${'page'.padEnd(46)} ${'median ms'.padStart(10)} ${'worst ms'.padStart(10)}   (${runs} renders each)`);
  for (const [name, path] of scenarios) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const res = await get(path);
      times.push(performance.now() - started);
      if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}`);
    }
    times.sort((a, b) => a - b);
    console.log(`${name.padEnd(46)} ${(times[Math.floor(times.length / 2)] ?? 0).toFixed(1).padStart(10)} ${(times.at(-1) ?? 0).toFixed(1).padStart(10)}`);
  }
  await app.close();
} finally {
  await database.close();
  await admin(`drop schema if exists ${schema} cascade`);
}
