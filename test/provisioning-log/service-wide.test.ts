import t from 'tap';
import { cliReader, exportEntries, getEntry, listEntries, summarize } from '../../src/provisioning-log/service.js';
import { buildTestApp } from '../helpers/app.js';
import { seedEntry } from '../helpers/provisioning-log.js';
import { createTestTenant } from '../helpers/tenants.js';

// Service-wide reads walk each tenant's own time index and merge (store/provisioning-log-queries.ts); these
// check the merge keeps the log's one order across tenants. Each test reads a day of its own, so the other
// tests' entries (same database, same file) stay out of its window.
const DAY = 86_400_000;

async function threeTenants(t: Parameters<typeof buildTestApp>[0], day: number) {
  const from = new Date(Date.UTC(2025, 2, day));
  const to = new Date(from.getTime() + DAY);
  const at = (minute: number) => new Date(from.getTime() + minute * 60_000);
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const tenants = [await createTestTenant(testApp), await createTestTenant(testApp), await createTestTenant(testApp)];
  // Interleaved in time, with ties across tenants (minutes 4 and 7), so the order needs the id to break them.
  const plan: Array<[number, number]> = [[0, 1], [1, 2], [2, 3], [0, 4], [1, 4], [2, 4], [0, 5], [2, 6], [1, 7], [0, 7], [2, 9]];
  const written: Array<{ id: string; minute: number; tenantId: string }> = [];
  for (const [tenant, minute] of plan) {
    const tenantId = tenants[tenant]?.tenantId ?? '';
    written.push({ id: await seedEntry(db, tenantId, { occurredAt: at(minute), outcome: minute % 2 === 0 ? 'failure' : 'success' }), minute, tenantId });
  }
  const newestFirst = [...written].sort((a, b) => b.minute - a.minute || Number(b.id) - Number(a.id)).map((e) => e.id);
  return { testApp, written, newestFirst, from, to };
}

t.test('a service-wide page walk visits every tenant newest first, each entry once, ties broken by id', async (t) => {
  const { testApp, newestFirst, from, to } = await threeTenants(t, 1);
  const deps = { db: testApp.deps.database.db };
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 20; pages++) {
    const page = await listEntries(deps, cliReader, { filter: { from, to }, limit: 2, cursor });
    seen.push(...page.entries.map((e) => e.id));
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  t.same(seen, newestFirst);
});

t.test('a service-wide export streams every tenant oldest first', async (t) => {
  const { testApp, newestFirst, from, to } = await threeTenants(t, 2);
  const ids: string[] = [];
  for await (const entry of exportEntries({ db: testApp.deps.database.db }, cliReader, { filter: { from, to } }, 3)) ids.push(entry.id);
  t.same(ids, [...newestFirst].reverse());
});

t.test('a service-wide summary counts every tenant, and an entry is found by id without naming its tenant', async (t) => {
  const { testApp, written, from, to } = await threeTenants(t, 3);
  const deps = { db: testApp.deps.database.db };
  const summary = await summarize(deps, cliReader, { from, to });
  const failures = written.filter((e) => e.minute % 2 === 0).length;
  t.same(summary.totals, { success: written.length - failures, failure: failures });
  for (const e of written) t.equal((await getEntry(deps, cliReader, e.id))?.tenantId, e.tenantId);
});
