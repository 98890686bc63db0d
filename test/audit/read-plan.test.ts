import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import t from 'tap';
import { auditPageQuery, type AuditScope } from '../../src/store/audit-queries.js';
import { buildTestApp } from '../helpers/app.js';

/**
 * The read paths walk an index, not the table: a tenant's page audit_entries_read (tenant first), a service-wide
 * admin's page over every chain audit_entries_by_time (migration 2026-12-05-0700). 20 chains of 500 entries,
 * inserted directly (the plan does not look at the hashes).
 */
t.test('a page reads an index in order, for one chain and for every chain, from the start and after a cursor', async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const tenants = Array.from({ length: 20 }, () => randomUUID());
  for (const tenant of tenants) {
    await sql`
      insert into audit_entries (tenant_id, seq, occurred_at, actor_type, action, outcome, hash)
      select ${tenant}::uuid, n, timestamptz '2025-01-01' + n * interval '1 hour', 'system', 'tenant.rename', 'success', md5(n::text)
      from generate_series(1, 500) as n`.execute(db);
  }
  await sql`analyze audit_entries`.execute(db);
  const after = { occurredAtUs: String(Date.parse('2025-01-10T00:00:00Z') * 1000), tenantId: tenants[3] ?? '', seq: '216' };
  // The export batch's index: for one chain the planner may as well take the primary key (tenant_id, seq), as
  // tenant-led as audit_entries_read, depending on the statistics of the moment; both read that chain only.
  const cases: Array<[string, AuditScope, string, RegExp]> = [
    ['one chain', { tenantId: tenants[3] ?? '' }, 'audit_entries_read', /audit_entries_read|audit_entries_pkey/],
    ['every chain', 'every', 'audit_entries_by_time', /audit_entries_by_time/],
  ];
  for (const [name, scope, index, batchIndex] of cases) {
    for (const page of [{ limit: 51, direction: 'newest-first' as const }, { after, limit: 51, direction: 'newest-first' as const }, { after, limit: 51, direction: 'oldest-first' as const }]) {
      const statement = auditPageQuery(db, scope, { action: 'tenant.' }, page);
      const plan = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${statement.sql}`, [...statement.parameters]));
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      const label = `${name}, ${page.direction}${page.after ? ' after a cursor' : ''}`;
      t.match(text, index, `${label}: ${index}`);
      t.notMatch(text, /Seq Scan|Sort/, `${label}: no scan of the table, no sort`);
      t.ok((await db.executeQuery(statement)).rows.length > 0, `${label}: answers`);
    }
    // An export batch (1,000) larger than what is left of a small chain may be read by a bitmap scan and sorted:
    // still through the index, never the whole table.
    const batch = auditPageQuery(db, scope, {}, { after, limit: 1000, direction: 'oldest-first' });
    const plan = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${batch.sql}`, [...batch.parameters]));
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    t.match(text, batchIndex, `${name}, an export batch: ${batchIndex.source}`);
    t.notMatch(text, /Seq Scan/, `${name}, an export batch: no scan of the table`);
  }
});
