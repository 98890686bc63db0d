/**
 * Provisioning-log read path on a large log: seeds BENCH_LOG_ENTRIES (default 1,000,000) entries in one tenant
 * plus as many spread over 9 others, in a schema of its own, then times the admin API's queries and the purge.
 * Prints figures; asserts nothing. PostgreSQL only (DATABASE_URL), e.g.
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/provisioning-log.ts
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { sql } from 'kysely';
import { connectDatabase } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { createLogger } from '../src/log.js';
import { exportEntries, listEntries, purgeExpiredEntries, summarize, type Reader } from '../src/provisioning-log/service.js';

const url = process.env['DATABASE_URL'];
if (!url) throw new Error('set DATABASE_URL (PostgreSQL)');
const count = Number(process.env['BENCH_LOG_ENTRIES'] ?? 1_000_000);
const schema = `bench_log_${randomBytes(4).toString('hex')}`;
const admin = async (text: string) => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(text);
  await c.end();
};

await admin(`create schema ${schema}`);
const database = await connectDatabase({ databaseUrl: url, schema, statementTimeoutMs: 600_000 });
try {
  const db = database.db;
  await migrateToLatest(db);
  const tenants = Array.from({ length: 10 }, () => randomUUID());
  for (const id of tenants) await db.insertInto('tenants').values({ id, name: id, created_at: new Date() }).execute();
  const [main] = tenants;
  const t0 = performance.now();
  // One tenant holds `count` entries one second apart from 2026-01-01; the others `count / 9` each. Each of
  // 50,000 users per tenant has its own id and names; as if they were deleted since, their names are former
  // names, through which the log finds a user's successful entries.
  for (const [i, tenantId] of tenants.entries()) {
    const n = i === 0 ? count : Math.ceil(count / 9);
    await sql`
      insert into provisioning_log (tenant_id, occurred_at, client_id, request_id, operation, target_id,
        target_user_name, target_external_id, http_status, outcome, changes, duration_ms)
      select ${tenantId}::uuid, timestamptz '2026-01-01' + g * interval '1 second', 'c', 'req-' || g,
        case when g % 3 = 0 then 'Update' else 'Create' end, md5(${tenantId}::text || (g % 50000))::uuid,
        'user' || (g % 50000) || '@contoso.com', 'ext-' || (g % 50000),
        case when g % 10 = 0 then 409 else 201 end, case when g % 10 = 0 then 'failure' else 'success' end,
        '[{"attribute":"displayName","old":"A","new":"B"}]'::jsonb, 4
      from generate_series(1, ${n}::int) g`.execute(db);
  }
  await sql`
    insert into account_former_names (tenant_id, account_id, user_name, external_id, until)
    select tenant_id, target_id, target_user_name, target_external_id, max(occurred_at) from provisioning_log
    where outcome = 'success' group by tenant_id, target_id, target_user_name, target_external_id`.execute(db);
  await sql`analyze provisioning_log`.execute(db);
  await sql`analyze account_former_names`.execute(db);
  console.log(`seeded ${count} + ${9 * Math.ceil(count / 9)} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const read = { db };
  const scoped: Reader = { tenantId: main ?? null };
  const global: Reader = { tenantId: null };
  const time = async (label: string, runs: number, work: () => Promise<unknown>) => {
    await work();
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      await work();
      samples.push(performance.now() - s);
    }
    samples.sort((a, b) => a - b);
    console.log(`${label.padEnd(58)} median ${samples[Math.floor(runs / 2)]?.toFixed(2)} ms  max ${samples.at(-1)?.toFixed(2)} ms  (${runs} runs)`);
  };
  await time('tenant admin: newest page of 50', 20, () => listEntries(read, scoped, { filter: {}, limit: 50 }));
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) cursor = (await listEntries(read, scoped, { filter: {}, limit: 50, cursor })).nextCursor ?? undefined;
  await time('tenant admin: page 1001 of 50 (keyset cursor)', 20, () => listEntries(read, scoped, { filter: {}, limit: 50, cursor }));
  await time('tenant admin: userName filter (any case)', 20, () => listEntries(read, scoped, { filter: { userName: 'USER4242@contoso.com' }, limit: 50 }));
  await time('tenant admin: externalId filter', 20, () => listEntries(read, scoped, { filter: { externalId: 'ext-4242' }, limit: 50 }));
  await time('global admin: userName filter, all tenants', 20, () => listEntries(read, global, { filter: { userName: 'user4242@contoso.com' }, limit: 50 }));
  await time('tenant admin: outcome=failure, 1-day range', 20, () =>
    listEntries(read, scoped, { filter: { outcome: 'failure', from: new Date('2026-01-02'), to: new Date('2026-01-03') }, limit: 50 }));
  await time('global admin: newest page of 50, all tenants', 20, () => listEntries(read, global, { filter: {}, limit: 50 }));
  await time('summary: 24 h window by hour', 10, () => summarize(read, scoped, { from: new Date('2026-01-02'), to: new Date('2026-01-03') }));
  const e0 = performance.now();
  let exported = 0;
  for await (const _ of exportEntries(read, scoped, { filter: { to: new Date('2026-01-03T08:00:00Z') } })) exported += 1;
  const es = (performance.now() - e0) / 1000;
  console.log(`export (service, no HTTP): ${exported} entries in ${es.toFixed(1)} s = ${Math.round(exported / es)} entries/s`);
  const p0 = performance.now();
  const purged = await purgeExpiredEntries({
    db,
    clock: { now: () => new Date(Date.parse('2026-01-01') + 90 * 86400_000 + 86400_000) },
    log: createLogger('silent'),
    retentionDays: 90,
  });
  const ps = (performance.now() - p0) / 1000;
  console.log(`purge: ${purged.deleted} entries older than ${purged.cutoff} in ${purged.batches} batches, ${ps.toFixed(1)} s = ${Math.round(purged.deleted / ps)} entries/s`);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${new Date().toISOString()}`);
} finally {
  await database.close();
  await admin(`drop schema if exists ${schema} cascade`);
}
