import { sql } from 'kysely';
import t from 'tap';
import { recountAccounts } from '../../src/store/account-counts.js';
import { listAccounts } from '../../src/store/accounts.js';
import { ANSWERS_AS_STORED } from '../../src/scim/user-text.js';
import { buildTestApp } from '../helpers/app.js';
import { scimClient, type ScimClient } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

type Page = { itemsPerPage: number; nextCursor?: string; previousCursor?: string; totalResults?: number; startIndex?: number; Resources: { id: string; userName: string }[] };
type ScimErrorBody = { status: string; scimType?: string; detail: string };

const page = async (scim: ScimClient, query: string): Promise<Page> => {
  const res = await scim.request('GET', `Users?${query}`);
  if (res.statusCode !== 200) throw new Error(`GET Users?${query}: ${res.statusCode} ${res.body}`);
  return res.json() as Page;
};

const refusal = async (scim: ScimClient, query: string): Promise<[number, string | undefined]> => {
  const res = await scim.request('GET', `Users?${query}`);
  return [res.statusCode, (res.json() as ScimErrorBody).scimType];
};

/** The first page's nextCursor for `query` (count=2 unless the query says otherwise). */
const firstCursor = async (scim: ScimClient, query = 'count=2'): Promise<string> => {
  const first = await page(scim, `cursor=&${query}`);
  if (first.nextCursor === undefined) throw new Error('the first page has no nextCursor');
  return first.nextCursor;
};

t.test('a cursor walk returns every user that existed for the whole walk exactly once while others are created and deleted', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const stable = new Set<string>();
  const initial = new Set<string>();
  const doomed: string[] = [];
  for (let i = 0; i < 30; i++) {
    // Several users share each created_at, so the id breaks ties in the keyset.
    if (i % 3 === 0) testApp.clock.advance(1000);
    const user = await scim.create(`w${i}@contoso.com`);
    initial.add(user.id);
    if (i % 4 === 1) doomed.push(user.id);
    else stable.add(user.id);
  }
  const seen: string[] = [];
  const created = new Set<string>();
  let cursor = '';
  let pages = 0;
  for (;;) {
    // The page is read while a user is created and one of the doomed is deleted, at the same time.
    const doomedId = doomed.shift();
    const [res, made] = await Promise.all([
      scim.request('GET', `Users?count=4&cursor=${cursor}`),
      scim.create(`new${pages}@contoso.com`),
      doomedId === undefined ? Promise.resolve() : scim.request('DELETE', `Users/${doomedId}`),
    ]);
    created.add(made.id);
    t.equal(res.statusCode, 200);
    const body = res.json() as Page;
    t.notOk('startIndex' in body || 'totalResults' in body, 'a cursor page carries no startIndex or totalResults');
    t.equal(body.itemsPerPage, body.Resources.length);
    if (pages === 0) t.notOk('previousCursor' in body, 'the first page has no previousCursor');
    seen.push(...body.Resources.map((r) => r.id));
    pages++;
    if (body.nextCursor === undefined) break;
    t.match(body.nextCursor, /^[A-Za-z0-9_-]+$/, 'only unreserved characters (RFC 9865 §2)');
    cursor = body.nextCursor;
    if (pages > 40) throw new Error('the walk does not end');
  }
  t.equal(new Set(seen).size, seen.length, 'no user twice');
  for (const id of stable) t.ok(seen.includes(id), `stable user ${id} seen`);
  t.same(seen.filter((id) => !initial.has(id) && !created.has(id)), [], 'only users this walk made');
  t.ok(pages >= 8, `paged in ${pages} pages`);
});

t.test('previousCursor pages back to the first page, and descending order walks backwards', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  for (let i = 1; i <= 5; i++) {
    await scim.create(`p${i}@contoso.com`);
    testApp.clock.advance(1000);
  }
  const names = (p: Page) => p.Resources.map((r) => r.userName.slice(0, 2));
  const p1 = await page(scim, 'cursor=&count=2');
  const p2 = await page(scim, `cursor=${p1.nextCursor ?? ''}&count=2`);
  const p3 = await page(scim, `cursor=${p2.nextCursor ?? ''}&count=2`);
  t.same([names(p1), names(p2), names(p3)], [['p1', 'p2'], ['p3', 'p4'], ['p5']]);
  t.notOk('nextCursor' in p3, 'the last page has no nextCursor');
  const back2 = await page(scim, `cursor=${p3.previousCursor ?? ''}&count=2`);
  t.same(names(back2), ['p3', 'p4']);
  const back1 = await page(scim, `cursor=${back2.previousCursor ?? ''}&count=2`);
  t.same(names(back1), ['p1', 'p2']);
  t.notOk('previousCursor' in back1, 'back at the start, no previousCursor');
  t.ok(back1.nextCursor, 'and a nextCursor onwards');
  const desc = await page(scim, 'cursor=&count=3&sortOrder=descending');
  const desc2 = await page(scim, `cursor=${desc.nextCursor ?? ''}&count=3&sortOrder=descending`);
  t.same([names(desc), names(desc2)], [['p5', 'p4', 'p3'], ['p2', 'p1']]);
});

t.test('POST /Users/.search pages by cursor from the body, with a filter', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  for (const u of ['a1@x.test', 'b1@y.test', 'a2@x.test', 'a3@x.test']) await scim.create(u);
  const search = (cursor: string | null, extra: Record<string, unknown> = {}) =>
    scim.request('POST', 'Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName ew "@x.test"', count: 2, cursor, ...extra });
  const first = (await search('')).json() as Page;
  const second = (await search(first.nextCursor ?? '')).json() as Page;
  t.same([...first.Resources, ...second.Resources].map((r) => r.userName).sort(), ['a1@x.test', 'a2@x.test', 'a3@x.test']);
  t.notOk('nextCursor' in second);
  const byIndex = (await search(null, { startIndex: 2 })).json() as Page;
  t.same([byIndex.startIndex, byIndex.totalResults], [2, 3], 'a null cursor is no cursor: index paging');
});

t.test('a cursor is refused with the RFC 9865 error when tampered, foreign, from another query, expired or mixed with startIndex', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const other = scimClient(testApp.app, await createTestTenant(testApp));
  for (let i = 0; i < 5; i++) {
    await scim.create(`r${i}@contoso.com`);
    await other.create(`o${i}@contoso.com`);
  }
  const cursor = await firstCursor(scim);
  t.same(await refusal(other, `cursor=${cursor}&count=2`), [400, 'invalidCursor'], 'another tenant');
  t.same(await refusal(scim, `cursor=${cursor}&count=2&filter=${encodeURIComponent('userName sw "r"')}`), [400, 'invalidCursor'], 'another filter');
  t.same(await refusal(scim, `cursor=${cursor}&count=2&sortOrder=descending`), [400, 'invalidCursor'], 'another order');
  t.same(await refusal(scim, `cursor=${cursor}&count=2&attributes=userName`), [400, 'invalidCursor'], 'another projection');
  const flipped = `${cursor.slice(0, 20)}${cursor[20] === 'A' ? 'B' : 'A'}${cursor.slice(21)}`;
  t.same(await refusal(scim, `cursor=${flipped}&count=2`), [400, 'invalidCursor'], 'one character changed');
  for (const garbage of ['garbage', 'A', '%00', 'x'.repeat(5000), `${cursor}A`]) {
    t.same(await refusal(scim, `cursor=${encodeURIComponent(garbage)}&count=2`), [400, 'invalidCursor'], `garbage ${garbage.slice(0, 12)}`);
  }
  t.same(await refusal(scim, `cursor=${cursor}&count=3`), [400, 'invalidCount'], 'another count');
  t.same(await refusal(scim, `cursor=&startIndex=1`), [400, 'invalidValue'], 'cursor with startIndex');
  t.same(await refusal(scim, `cursor=&sortBy=userName`), [400, 'invalidValue'], 'cursor with a sort that can change under the walk');
  t.same((await scim.request('GET', `Groups?cursor=`)).statusCode, 400, 'groups page by startIndex');
  t.equal((await scim.request('GET', `Users?cursor=${cursor}&count=2`)).statusCode, 200, 'the cursor itself still works');
  testApp.clock.advance(3601_000);
  t.same(await refusal(scim, `cursor=${cursor}&count=2`), [400, 'expiredCursor'], 'older than cursorTimeout');
});

t.test('ServiceProviderConfig advertises cursor and index paging (RFC 9865 §4)', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const spc = (await scim.request('GET', 'ServiceProviderConfig')).json() as { pagination: Record<string, unknown> };
  t.same(spc.pagination, { cursor: true, index: true, defaultPaginationMethod: 'index', defaultPageSize: 100, maxPageSize: 1000, cursorTimeout: 3600 });
});

t.test('deep index pages and cursor pages read accounts_created_idx, not a sort of the tenant', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const db = testApp.deps.database.db;
  await sql`
    insert into accounts (tenant_id, id, user_name, given_name, family_name, active, resource, created_at, updated_at)
    select ${tenant.tenantId}::uuid, gen_random_uuid(), 'e' || g || '@x.test', 'G', 'F', true, '{}'::jsonb,
           timestamptz '2026-01-01' + g * interval '1 second', timestamptz '2026-01-01'
    from generate_series(1, 20000) as g`.execute(db);
  // As a tenant's table is in service: analysed and vacuumed (the visibility map lets the scans stay in the index).
  await sql`vacuum analyze accounts`.execute(db);
  const cursorPlan = await sql<Record<string, string>>`explain select id from accounts where tenant_id = ${tenant.tenantId}::uuid
    and (created_at, id) > ((timestamptz 'epoch' + ${'1767225600000000'}::int8 * interval '1 microsecond'), ${'00000000-0000-0000-0000-000000000000'}::uuid)
    order by created_at, id limit 101`.execute(db);
  const cursorText = cursorPlan.rows.map((r) => Object.values(r).join(' ')).join('\n');
  t.match(cursorText, /Index (Only )?Scan using accounts_created_idx/, cursorText);
  t.notMatch(cursorText, /Sort/, 'no sort');
  const deepPlan = await sql<Record<string, string>>`explain select id from accounts where tenant_id = ${tenant.tenantId}::uuid order by created_at, id offset 5000 limit 100`.execute(db);
  const deepText = deepPlan.rows.map((r) => Object.values(r).join(' ')).join('\n');
  t.match(deepText, /Index (Only )?Scan using accounts_created_idx/, deepText);
  t.notMatch(deepText, /Sort/, 'no sort');
  // And the store functions behind them answer from those rows.
  // Seeded past the statements that count accounts, so counted afresh as the hourly recount would (issue 14).
  await recountAccounts(db, tenant.tenantId);
  const { rows, total } = await listAccounts(db, tenant.tenantId, { where: undefined, asStored: ANSWERS_AS_STORED, sortBy: undefined, descending: false, offset: 5000, limit: 100 });
  t.same([rows.length, total, rows[0]?.user_name], [100, 20000, 'e5001@x.test']);
});
