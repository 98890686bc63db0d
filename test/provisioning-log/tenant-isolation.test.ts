import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { createTestAdmin, type TestAdmin } from '../helpers/admin.js';
import { seedEntry } from '../helpers/provisioning-log.js';
import { createTestTenant } from '../helpers/tenants.js';

interface Fixture {
  testApp: TestApp;
  a: { tenantId: string; admin: TestAdmin; entry: string };
  b: { tenantId: string; admin: TestAdmin; entry: string };
  global: TestAdmin;
}

async function fixture(t: { teardown(fn: () => unknown): void }): Promise<Fixture> {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const make = async () => {
    const tenant = await createTestTenant(testApp);
    const admin = await createTestAdmin(testApp, tenant.tenantId);
    // Same user name and request id in both tenants: a filter must never match across them.
    const entry = await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-15T09:30:00Z', userName: 'alice@contoso.com', requestId: 'shared-req' });
    return { tenantId: tenant.tenantId, admin, entry };
  };
  const a = await make();
  const b = await make();
  return { testApp, a, b, global: await createTestAdmin(testApp) };
}

const get = (f: Fixture, admin: TestAdmin, url: string, query: Record<string, string> = {}) =>
  f.testApp.app.inject({ method: 'GET', url: `/admin/v1/provisioning-logs${url}`, query, headers: admin.headers });

t.test("a tenant admin's list holds only its own tenant's entries, whatever the filter", async (t) => {
  const f = await fixture(t);
  const queries: Array<Record<string, string>> = [{}, { userName: 'alice@contoso.com' }, { requestId: 'shared-req' }];
  for (const query of queries) {
    const res = await get(f, f.a.admin, '', query);
    t.equal(res.statusCode, 200);
    const entries = res.json().entries as Array<{ id: string; tenantId: string }>;
    t.same(entries.map((e) => e.id), [f.a.entry], JSON.stringify(query));
  }
});

t.test("a tenant admin asking for another tenant's entries is refused with 403", async (t) => {
  const f = await fixture(t);
  for (const url of ['', '/export', '/summary']) {
    const res = await get(f, f.a.admin, url, { tenant: f.b.tenantId });
    t.equal(res.statusCode, 403, url || 'list');
    t.equal(res.json().error, 'forbidden');
  }
});

t.test("a tenant admin gets 404 for another tenant's entry by id", async (t) => {
  const f = await fixture(t);
  t.equal((await get(f, f.a.admin, `/${f.b.entry}`)).statusCode, 404);
  t.equal((await get(f, f.a.admin, `/${f.a.entry}`)).statusCode, 200);
});

t.test("a tenant admin's export holds only its own tenant's entries", async (t) => {
  const f = await fixture(t);
  const res = await get(f, f.a.admin, '/export');
  t.equal(res.statusCode, 200);
  const lines = res.payload.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
  t.same(lines.map((l) => l.id), [f.a.entry]);
});

t.test("a tenant admin's summary counts only its own tenant's entries", async (t) => {
  const f = await fixture(t);
  const res = await get(f, f.a.admin, '/summary', { from: '2026-01-15T00:00:00Z', to: '2026-01-16T00:00:00Z' });
  t.equal(res.statusCode, 200);
  t.same(res.json().totals, { success: 1, failure: 0 });
});

t.test('a service-wide admin sees every tenant and may narrow to one', async (t) => {
  const f = await fixture(t);
  const all = (await get(f, f.global, '', { requestId: 'shared-req' })).json().entries as Array<{ id: string }>;
  // Other tests' tenants share this database, so check both of ours are there rather than the exact list.
  const seen = all.map((e) => e.id);
  t.ok(seen.includes(f.a.entry) && seen.includes(f.b.entry));
  const onlyB = (await get(f, f.global, '', { tenant: f.b.tenantId })).json().entries as Array<{ id: string }>;
  t.same(onlyB.map((e) => e.id), [f.b.entry]);
  t.equal((await get(f, f.global, `/${f.b.entry}`)).statusCode, 200);
  const summary = (await get(f, f.global, '/summary', { tenant: f.b.tenantId, from: '2026-01-15T00:00:00Z', to: '2026-01-16T00:00:00Z' })).json();
  t.same(summary.totals, { success: 1, failure: 0 });
});
