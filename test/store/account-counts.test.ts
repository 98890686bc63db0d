import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import t from 'tap';
import { createAccountRecountService } from '../../src/scim/account-recount-service.js';
import { ANSWERS_AS_STORED } from '../../src/scim/user-text.js';
import { countedAccounts, recountAccounts } from '../../src/store/account-counts.js';
import { insertAccount, listAccounts } from '../../src/store/accounts.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { DB } from '../../src/store/tables.js';
import { buildTestApp } from '../helpers/app.js';
import { databaseAtMigration, testDatabaseUrl } from '../helpers/database.js';
import { scimClient, userBody, type ScimClient } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

// Issue 14: an unfiltered GET /Users answers its exact totalResults from the tenant's counter row, which the
// statements inserting and deleting accounts keep in the same statement; the hourly recount repairs drift.

/** totalResults of an unfiltered list whose page (one item) cannot prove the total itself: the counter answers. */
async function total(scim: ScimClient, query = 'startIndex=1&count=1'): Promise<number> {
  const res = await scim.request('GET', `Users?${query}`);
  if (res.statusCode !== 200) throw new Error(`list answered ${res.statusCode}: ${res.body}`);
  return (res.json() as { totalResults: number }).totalResults;
}

async function counted(db: Kysely<DB>, tenantId: string): Promise<{ counter: number | undefined; rows: number }> {
  const row = await db.selectFrom('account_counts').select('accounts').where('tenant_id', '=', tenantId).executeTakeFirst();
  const all = await db.selectFrom('accounts').select((eb) => eb.fn.countAll<string | number>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return { counter: row === undefined ? undefined : Number(row.accounts), rows: Number(all.n) };
}

const values = (userName: string) => ({
  user_name: userName, external_id: null, given_name: 'G', family_name: 'F', display_name: null, email: null, active: true, resource: { userName },
});

t.test('an unfiltered list is exact after creates, a refused duplicate create and deletes', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const db = testApp.deps.database.db;
  t.equal(await total(scim), 0, 'a tenant with no account answers 0 (no counter row yet)');
  const [ada, bob] = [await scim.create('ada@contoso.com'), await scim.create('bob@contoso.com'), await scim.create('cy@contoso.com')];
  t.equal(await total(scim), 3);
  const duplicate = await scim.request('POST', 'Users', userBody('ADA@contoso.com'));
  t.equal(duplicate.statusCode, 409, 'a taken userName is refused');
  t.same(await counted(db, tenant.tenantId), { counter: 3, rows: 3 }, 'and counts nothing');
  t.equal((await scim.request('DELETE', `Users/${ada?.id}`)).statusCode, 204);
  t.equal((await scim.request('DELETE', `Users/${ada?.id}`)).statusCode, 404, 'deleting it again finds nothing');
  t.same(await counted(db, tenant.tenantId), { counter: 2, rows: 2 }, 'a delete uncounts once');
  t.equal(await total(scim), 2);
  t.equal(await total(scim, 'startIndex=2&count=1'), 2, 'a deeper page reads the same counter');
  t.equal(await total(scim, 'startIndex=5001&count=100'), 2, 'past the end too');
  t.equal(await total(scim, `filter=${encodeURIComponent(`userName eq "${String(bob?.['userName'])}"`)}&count=0`), 1, 'a filtered list counts over its filter');
});

t.test('concurrent creates, deletes and recounts leave the counter equal to count(*)', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const db = testApp.deps.database.db;
  const first = [];
  for (let n = 0; n < 20; n++) first.push(await scim.create(`first${n}@contoso.com`));
  const creates = Array.from({ length: 40 }, (_, n) => scim.request('POST', 'Users', userBody(`second${n}@contoso.com`)));
  // Ten of the creates race a create of the same name: exactly one of each pair may be counted.
  const rivals = Array.from({ length: 10 }, (_, n) => scim.request('POST', 'Users', userBody(`SECOND${n}@contoso.com`)));
  const deletes = first.map((u) => scim.request('DELETE', `Users/${u.id}`));
  const recounts = Array.from({ length: 3 }, () => recountAccounts(db, tenant.tenantId));
  const answers = await Promise.all([...creates, ...rivals, ...deletes]);
  await Promise.all(recounts);
  const statuses = answers.map((a) => a.statusCode);
  t.equal(statuses.filter((s) => s === 201).length, 40, '40 creates succeed (of 50, ten pairs racing for a name)');
  t.equal(statuses.filter((s) => s === 409).length, 10, 'each rival pair has one loser');
  t.equal(statuses.filter((s) => s === 204).length, 20, '20 deletes succeed');
  t.same(await counted(db, tenant.tenantId), { counter: 40, rows: 40 });
  t.equal(await total(scim), 40);
});

t.test('a recount waits for a counting insert not yet committed, and then counts it once', { skip: testDatabaseUrl() ? false : 'PostgreSQL only: PGlite has one connection' }, async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const db = testApp.deps.database.db;
  await scimClient(testApp.app, tenant).create('first@contoso.com');
  const trx = await db.startTransaction().execute();
  await insertAccount(trx, tenant.tenantId, randomUUID(), values('pending@contoso.com'), new Date());
  let finished = false;
  const recount = recountAccounts(db, tenant.tenantId).finally(() => (finished = true));
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.notOk(finished, 'the recount waits on the counter row the insert holds');
  await trx.commit().execute();
  t.same(await recount, { before: 2, after: 2 }, 'and then counts the committed insert, which counted itself once');
  t.same(await counted(db, tenant.tenantId), { counter: 2, rows: 2 });
});

t.test('a counter made wrong is what the list says until recountAccounts corrects it', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const db = testApp.deps.database.db;
  for (const name of ['a', 'b', 'c']) await scim.create(`${name}@contoso.com`);
  await sql`update account_counts set accounts = 999 where tenant_id = ${tenant.tenantId}`.execute(db);
  t.equal(await total(scim), 999, 'the unfiltered list reads the counter, not the rows');
  t.equal(await total(scim, `filter=${encodeURIComponent('active eq true')}&count=1`), 3, 'a filtered one still counts its rows');
  t.same(await recountAccounts(db, tenant.tenantId), { before: 999, after: 3 });
  t.equal(await total(scim), 3);
  t.same(await recountAccounts(db, tenant.tenantId), { before: 3, after: 3 }, 'a second recount finds nothing to repair');
});

t.test('the hourly recount repairs every drifted tenant and leaves the others', async (t) => {
  const testApp = await buildTestApp(t);
  const drifted = await createTestTenant(testApp);
  const exact = await createTestTenant(testApp);
  const db = testApp.deps.database.db;
  await scimClient(testApp.app, drifted).create('one@contoso.com');
  await scimClient(testApp.app, exact).create('two@contoso.com');
  // What a replica of the previous version leaves: accounts written without counting.
  await sql`insert into accounts (tenant_id, id, user_name, given_name, family_name, active, resource, created_at, updated_at)
    select ${drifted.tenantId}::uuid, gen_random_uuid(), 'old' || g || '@contoso.com', 'G', 'F', true, '{}'::jsonb, now(), now()
    from generate_series(1, 4) g`.execute(db);
  const result = await createAccountRecountService(testApp.deps).recountAll();
  t.same(result.repaired[drifted.tenantId], { before: 1, after: 5 });
  t.notOk(exact.tenantId in result.repaired, 'an exact counter is not reported');
  t.same(result.failed, []);
  t.same(await counted(db, drifted.tenantId), { counter: 5, rows: 5 });
  t.match(testApp.logLines.join('\n'), /account counts recounted/);
});

t.test('a delete on a counter already short stays at zero instead of failing; recount makes it exact', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const db = testApp.deps.database.db;
  const user = await scim.create('short@contoso.com');
  await scim.create('other@contoso.com');
  await sql`update account_counts set accounts = 0 where tenant_id = ${tenant.tenantId}`.execute(db);
  t.equal((await scim.request('DELETE', `Users/${user.id}`)).statusCode, 204);
  t.same(await counted(db, tenant.tenantId), { counter: 0, rows: 1 });
  await recountAccounts(db, tenant.tenantId);
  t.equal(await total(scim), 1);
});

t.test('the store: both insert variants count, the page may prove the total, and the counter row goes with its tenant', async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const tenantId = randomUUID();
  await db.insertInto('tenants').values({ id: tenantId, name: `counts-${tenantId}`, created_at: new Date() }).execute();
  const entry = { occurred_at: new Date(), client_id: 'c', request_id: 'r', operation: 'Create', http_status: 201, outcome: 'success' as const, scim_type: null, detail: null, changes: null, duration_ms: 1 };
  t.ok(await insertAccount(db, tenantId, randomUUID(), values('plain@contoso.com'), new Date()));
  t.ok(await insertAccount(db, tenantId, randomUUID(), values('logged@contoso.com'), new Date(), entry));
  t.equal(await insertAccount(db, tenantId, randomUUID(), values('PLAIN@contoso.com'), new Date()), undefined);
  t.equal(await insertAccount(db, tenantId, randomUUID(), values('LOGGED@contoso.com'), new Date(), entry), undefined);
  t.equal(await countedAccounts(db, tenantId), 2);
  const list = (offset: number, limit: number) => listAccounts(db, tenantId, { where: undefined, asStored: ANSWERS_AS_STORED, sortBy: undefined, descending: false, offset, limit });
  t.same((await list(0, 1)).total, 2);
  t.same((await list(1, 1)).total, 2);
  await sql`update account_counts set accounts = 7 where tenant_id = ${tenantId}`.execute(db);
  t.same((await list(0, 10)).total, 2, 'a first page shorter than asked proves the total without reading the counter');
  t.same((await list(0, 1)).total, 7);
  await db.deleteFrom('tenants').where('id', '=', tenantId).execute();
  t.equal(await countedAccounts(db, tenantId), 0);
  t.same(await counted(db, tenantId), { counter: undefined, rows: 0 }, 'deleting the tenant took its accounts and counter row');
  t.equal(await recountAccounts(db, tenantId), undefined, 'a recount of a tenant gone does nothing');
  t.equal(await countedAccounts(db, tenantId), 0);
});

t.test('the migration counts the accounts that existed before it', async (t) => {
  const db = await databaseAtMigration(t, '2026-12-05-0700-audit-reads-by-time');
  const [busy, empty] = [randomUUID(), randomUUID()];
  for (const id of [busy, empty]) await db.insertInto('tenants').values({ id, name: `upgrade-${id}`, created_at: new Date() }).execute();
  await sql`insert into accounts (tenant_id, id, user_name, given_name, family_name, active, resource, created_at, updated_at)
    select ${busy}::uuid, gen_random_uuid(), 'pre' || g || '@contoso.com', 'G', 'F', true, '{}'::jsonb, now(), now()
    from generate_series(1, 12) g`.execute(db);
  await migrateToLatest(db);
  t.same(await counted(db, busy), { counter: 12, rows: 12 });
  t.same(await counted(db, empty), { counter: undefined, rows: 0 }, 'a tenant without accounts has no row, which reads as 0');
  t.equal(await countedAccounts(db, empty), 0);
  t.ok(await insertAccount(db, busy, randomUUID(), values('post@contoso.com'), new Date()));
  t.equal((await listAccounts(db, busy, { where: undefined, asStored: ANSWERS_AS_STORED, sortBy: undefined, descending: false, offset: 0, limit: 1 })).total, 13);
});
