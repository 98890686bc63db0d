import { CompiledQuery, sql } from 'kysely';
import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { logPageQuery } from '../../src/store/provisioning-log-queries.js';
import { createTestAdmin, type TestAdmin } from '../helpers/admin.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { seedMany } from '../helpers/provisioning-log.js';
import { scimClient, userBody, type ScimClient } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

// A successful entry is found by its user id (the log keeps no userName/externalId index over those:
// migrations/2026-12-01-0040), so these follow users through renames and deletion via the real SCIM API.

interface Fixture {
  testApp: TestApp;
  scim: ScimClient;
  admin: TestAdmin;
  tenantId: string;
}

async function fixture(t: Parameters<typeof buildTestApp>[0]): Promise<Fixture> {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  return { testApp, scim: scimClient(testApp.app, tenant), admin: await createTestAdmin(testApp, tenant.tenantId), tenantId: tenant.tenantId };
}

/** Operations (oldest first) of the entries a filter finds, through the admin API. */
async function found(f: Fixture, query: Record<string, string>): Promise<string[]> {
  await f.testApp.app.flushProvisioningLog();
  const res = await f.testApp.app.inject({ method: 'GET', url: '/admin/v1/provisioning-logs', query: { ...query, limit: '100' }, headers: f.admin.headers });
  if (res.statusCode !== 200) throw new Error(`logs answered ${res.statusCode}: ${res.body}`);
  return (res.json().entries as Array<{ operation: string; outcome: string }>).map((e) => `${e.operation} ${e.outcome}`).reverse();
}

t.test("a renamed user's old userName finds the entries written before the rename, the new one those after", async (t) => {
  const f = await fixture(t);
  const user = await f.scim.create('alice@contoso.com', { externalId: 'A-1' });
  await f.scim.patch(user.id, [{ op: 'replace', path: 'name.familyName', value: 'Before' }]);
  await f.scim.patch(user.id, [{ op: 'replace', path: 'userName', value: 'alice.smith@contoso.com' }]);
  await f.scim.patch(user.id, [{ op: 'replace', path: 'name.familyName', value: 'After' }]);
  t.same(await found(f, { userName: 'alice@contoso.com' }), ['Create success', 'Update success']);
  t.same(await found(f, { userName: 'ALICE.SMITH@contoso.com' }), ['Update success', 'Update success'], 'ignoring case');
  t.same(await found(f, { externalId: 'A-1' }), ['Create success', 'Update success', 'Update success', 'Update success']);
  t.same(await found(f, { externalId: 'a-1' }), [], 'externalId is exact');
});

t.test("a deleted user's entries stay findable by userName and externalId", async (t) => {
  const f = await fixture(t);
  const user = await f.scim.create('bob@contoso.com', { externalId: 'B-1' });
  await f.scim.patch(user.id, [{ op: 'replace', path: 'active', value: false }]);
  await f.scim.request('DELETE', `Users/${user.id}`);
  t.same(await found(f, { userName: 'bob@contoso.com' }), ['Create success', 'Disable success', 'Delete success']);
  t.same(await found(f, { externalId: 'B-1' }), ['Create success', 'Disable success', 'Delete success']);
  // A new account may take the name again: the search shows both, each entry as written.
  await f.scim.create('bob@contoso.com', { externalId: 'B-2' });
  t.same(await found(f, { userName: 'bob@contoso.com' }), ['Create success', 'Disable success', 'Delete success', 'Create success']);
});

t.test('entries that name no existing user are found by the name they carry', async (t) => {
  const f = await fixture(t);
  await f.scim.create('carol@contoso.com');
  const conflict = await f.scim.request('POST', 'Users', userBody('CAROL@contoso.com', { externalId: 'C-9' }));
  t.equal(conflict.statusCode, 409);
  const lookup = await f.scim.request('GET', `Users?filter=${encodeURIComponent('userName eq "dave@contoso.com"')}`);
  t.equal(lookup.statusCode, 200);
  const missing = await f.scim.request('PUT', 'Users/00000000-0000-4000-8000-000000000001', userBody('erin@contoso.com', { externalId: 'E-9' }));
  t.equal(missing.statusCode, 404);
  t.same(await found(f, { userName: 'carol@contoso.com' }), ['Create success', 'Create failure']);
  t.same(await found(f, { externalId: 'C-9' }), ['Create failure']);
  t.same(await found(f, { userName: 'dave@contoso.com' }), ['Test connection success']);
  t.same(await found(f, { userName: 'erin@contoso.com' }), ['Replace failure']);
  t.same(await found(f, { externalId: 'E-9' }), ['Replace failure']);
});

t.test('a userName or externalId search reads indexes only: the partial name index and the user-id index', { skip: testDatabaseUrl() ? false : 'PostgreSQL plans only' }, async (t) => {
  const f = await fixture(t);
  const db = f.testApp.deps.database.db;
  // Enough entries that a scan would cost: 20,000, every tenth a failure (the partial index's share).
  await seedMany(db, f.tenantId, 20_000);
  await sql`analyze provisioning_log`.execute(db);
  await sql`analyze account_former_names`.execute(db);
  for (const [filter, index] of [
    [{ userName: 'USER4242@contoso.com' }, 'provisioning_log_user_name_idx'],
    [{ externalId: 'ext-4242' }, 'provisioning_log_external_id_idx'],
  ] as const) {
    const statement = logPageQuery(db, f.tenantId, filter, { limit: 51, direction: 'newest-first' });
    const plan = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${statement.sql}`, [...statement.parameters]));
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    const name = Object.keys(filter)[0] ?? '';
    t.match(text, index, `${name}: the partial index`);
    t.match(text, 'provisioning_log_target_idx', `${name}: the user-id index`);
    t.notMatch(text, /Seq Scan on provisioning_log|provisioning_log_time_idx/, `${name}: no walk through the whole log`);
    const rows = await db.executeQuery(statement);
    t.equal(rows.rows.length, 1, `${name}: the one entry that carries it`);
  }
});
