/**
 * Group membership benchmark (issue 17): adding or removing one member must cost the same whatever the
 * group's size. Seeds 10,010 users into a fresh schema, builds a 10,000-member group through the real API in
 * PATCHes of 100 members (as Entra batches them), and a 10-member group; then times, on each group, PATCH Add
 * of one member and PATCH Remove of it by `members[value eq "id"]`, many rounds, alternating the groups.
 * Requests go through the whole app (routing, auth, validation, transaction, log entry) with inject().
 * `npm run bench:groups -- --members 10000 --rounds 200 [--pglite] [--database-url postgres://…]`
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createMetrics } from '../src/metrics.js';
import { createClient } from '../src/oauth/credential-service.js';
import { connectDatabase } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { createTenant } from '../src/tenants/service.js';
import { cliActor } from '../src/audit/request-actor.js';

const { values: args } = parseArgs({
  options: {
    members: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '100' },
    small: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '200' },
    pglite: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const members = Number(args.members);
const batch = Number(args.batch);
const small = Number(args.small);
const rounds = Number(args.rounds);
const url = args.pglite ? undefined : args['database-url'];
const schema = `bench_groups_${randomBytes(4).toString('hex')}`;
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function main(): Promise<void> {
  if (url) await admin(`create schema ${schema}`);
  const database = await connectDatabase(url ? { databaseUrl: url, schema, poolMax: 10 } : {});
  try {
    await migrateToLatest(database.db);
    const config = loadConfig({ PUBLIC_BASE_URL: 'https://bench.test', LOG_LEVEL: 'warn', TENANT_REQUESTS_PER_SECOND: '1000000', TENANT_REQUEST_BURST: '1000000', TENANT_MAX_CONCURRENT_REQUESTS: '100000' });
    const deps = { config, database, clock: systemClock, log: pino({ level: 'warn' }), metrics: createMetrics(database) };
    const app = await buildApp(deps);
    await app.ready();
    const tenant = await createTenant({ db: database.db, clock: systemClock }, `bench-${randomUUID()}`, cliActor('bench'));
    const { clientId, clientSecret } = await createClient({ db: database.db, clock: systemClock }, tenant.id, cliActor('bench'));
    const token = await app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    });
    const headers = { authorization: `Bearer ${(token.json() as { access_token: string }).access_token}`, 'content-type': 'application/scim+json' };
    const call = async (method: 'POST' | 'PATCH', path: string, body: unknown, expect: number): Promise<{ ms: number; json: unknown }> => {
      const started = performance.now();
      const res = await app.inject({ method, url: `/scim/v2/${path}`, headers, payload: JSON.stringify(body) });
      const took = performance.now() - started;
      if (res.statusCode !== expect) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return { ms: took, json: res.body ? res.json() : undefined };
    };
    const patch = (id: string, operations: unknown[]) => call('PATCH', `Groups/${id}`, { schemas: [PATCH_OP], Operations: operations }, 204);

    const seedStarted = performance.now();
    const total = members + small + 1;
    await sql`insert into accounts (tenant_id, id, user_name, given_name, family_name, display_name, active, resource, created_at, updated_at)
      select ${tenant.id}::uuid, gen_random_uuid(), 'user' || g || '@bench.test', 'G', 'F', 'User ' || g, true,
        '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}'::jsonb, now(), now()
      from generate_series(1, ${total}::int) g`.execute(database.db);
    const ids = (await database.db.selectFrom('accounts').select('id').where('tenant_id', '=', tenant.id).orderBy('user_name').execute()).map((r) => r.id);
    console.log(`seeded ${ids.length} users in ${ms(performance.now() - seedStarted)} (${url ? 'PostgreSQL' : 'PGlite'})`);

    const big = (await call('POST', 'Groups', { schemas: [GROUP], displayName: 'Big', members: [] }, 201)).json as { id: string };
    const little = (await call('POST', 'Groups', { schemas: [GROUP], displayName: 'Little', members: [] }, 201)).json as { id: string };
    const batchTimes: number[] = [];
    const buildStarted = performance.now();
    for (let i = 0; i < members; i += batch) {
      batchTimes.push((await patch(big.id, [{ op: 'Add', path: 'members', value: ids.slice(i, i + batch).map((value) => ({ value })) }])).ms);
    }
    console.log(`built a ${members}-member group in ${batchTimes.length} PATCHes of ${batch} in ${ms(performance.now() - buildStarted)}: ` +
      `first batch ${ms(batchTimes[0] ?? 0)}, median ${ms(quantile(batchTimes, 0.5))}, last 10 median ${ms(quantile(batchTimes.slice(-10), 0.5))}`);
    await patch(little.id, [{ op: 'Add', path: 'members', value: ids.slice(members, members + small).map((value) => ({ value })) }]);
    // As autovacuum would after 10,000 new rows: with no statistics the planner takes group_members for a tiny table
    // and reads the whole group to find one member (remove 2.5× slower at 10,000), which no live database stays in.
    if (url) await admin(`analyze ${schema}.group_members`);

    const extra = ids[total - 1] ?? '';
    const times = { big: { add: [] as number[], remove: [] as number[] }, little: { add: [] as number[], remove: [] as number[] } };
    for (let r = 0; r < rounds; r += 1) {
      // Alternated, so drift (autovacuum, table growth of the log) falls on both groups alike.
      for (const [name, id] of (r % 2 === 0 ? [['big', big.id], ['little', little.id]] : [['little', little.id], ['big', big.id]]) as ['big' | 'little', string][]) {
        times[name].add.push((await patch(id, [{ op: 'Add', path: 'members', value: [{ value: extra }] }])).ms);
        times[name].remove.push((await patch(id, [{ op: 'Remove', path: `members[value eq "${extra}"]` }])).ms);
      }
    }
    console.log(`one member added then removed, ${rounds} rounds each (median / p95):`);
    for (const name of ['little', 'big'] as const) {
      const size = name === 'big' ? members : small;
      console.log(`  ${String(size).padStart(6)}-member group: add ${ms(quantile(times[name].add, 0.5))} / ${ms(quantile(times[name].add, 0.95))}, ` +
        `remove ${ms(quantile(times[name].remove, 0.5))} / ${ms(quantile(times[name].remove, 0.95))}`);
    }
    const ratio = (quantile(times.big.add, 0.5) + quantile(times.big.remove, 0.5)) / (quantile(times.little.add, 0.5) + quantile(times.little.remove, 0.5));
    console.log(`big / small (median add + remove): ${ratio.toFixed(2)}×`);
    await app.close();
  } finally {
    await database.close();
    if (url && !args.keep) await admin(`drop schema if exists ${schema} cascade`);
    if (url && args.keep) console.log(`kept schema ${schema}`);
  }
}

await main();
