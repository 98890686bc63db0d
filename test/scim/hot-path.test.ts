import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import t from 'tap';
import { compileFilter, parseFilter } from '../../src/scim/filter.js';
import {
  accountWithGroupsQuery,
  findAccountWithGroups,
  insertAccount,
  insertEntryIfVersion,
  updateAccountIfVersion,
  type EntryDraft,
} from '../../src/store/accounts.js';
import { MAX_NAMED_SHAPES, PREPARED_MARK, SHAPE_MARK, statementName } from '../../src/store/prepared-statements.js';
import { buildTestApp } from '../helpers/app.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { scimClient } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

/**
 * Issue 14's hot path: reads that carry their groups, PUT/PATCH as a version-conditional write with its entry,
 * filters prepared by shape. Behaviour only; the figures are bench's.
 */

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
type User = Record<string, unknown> & { id: string; meta: Record<string, string> };

const entry = (operation: string): EntryDraft => ({
  occurred_at: new Date(), client_id: 'c', request_id: randomUUID(), operation, http_status: 200, outcome: 'success', scim_type: null, detail: null, changes: null, duration_ms: 1,
});
const values = (userName: string, familyName: string) => ({
  user_name: userName, external_id: null, given_name: 'Ada', family_name: familyName, display_name: null, email: null, active: true,
  resource: { userName, name: { givenName: 'Ada', familyName } },
});

t.test('GET, filter, PATCH and PUT answers list the groups the user is in, in the order they always had', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('member@contoso.com');
  for (const displayName of ['Zeta', 'Alpha']) {
    const res = await scim.request('POST', 'Groups', { schemas: [GROUP], displayName, members: [{ value: user.id }] });
    t.equal(res.statusCode, 201);
  }
  const names = (u: User) => ((u['groups'] as { display: string }[] | undefined) ?? []).map((g) => g.display);
  const got = (await scim.request('GET', `Users/${user.id}`)).json() as User;
  t.same(names(got), ['Alpha', 'Zeta']);
  const listed = (await scim.request('GET', `Users?filter=${encodeURIComponent('userName eq "MEMBER@contoso.com"')}`)).json() as { Resources: User[] };
  t.same(listed.Resources.map(names), [['Alpha', 'Zeta']]);
  const patched = (await scim.patch(user.id, [{ op: 'Replace', path: 'name.familyName', value: 'Changed' }])).json() as User;
  t.same(names(patched), ['Alpha', 'Zeta']);
  t.equal(patched.meta['version'], 'W/"2"');
  const put = await scim.request('PUT', `Users/${user.id}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'member@contoso.com', active: true, name: { givenName: 'G', familyName: 'Put' } });
  t.same(names(put.json() as User), ['Alpha', 'Zeta']);
  const group = (got['groups'] as { value: string; $ref: string }[])[0];
  t.equal(group?.$ref, `https://provisioning.test/scim/v2/Groups/${group?.value}`);
});

t.test('a created user starts at the tenant default role, read by the insert itself', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  await testApp.deps.database.db.updateTable('tenants').set({ default_role: 'admin' }).where('id', '=', tenant.tenantId).execute();
  const user = await scim.create('admin-by-default@contoso.com');
  const row = await testApp.deps.database.db.selectFrom('accounts').select(['role', 'role_cause']).where('id', '=', user.id).executeTakeFirstOrThrow();
  t.equal(row.role, 'admin');
  t.same(row.role_cause, { kind: 'default' });
});

t.test('a PATCH that changes nothing keeps the version and still writes its entry', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const user = await scim.create('same@contoso.com');
  const res = await scim.patch(user.id, [{ op: 'Replace', path: 'name.familyName', value: 'Family' }]);
  t.equal(res.statusCode, 200);
  t.equal(res.headers['etag'], 'W/"1"');
  const entries = await testApp.deps.database.db.selectFrom('provisioning_log').select(['operation', 'target_id']).where('tenant_id', '=', tenant.tenantId).orderBy('id').execute();
  t.same(entries.map((e) => e.operation), ['Create', 'Update']);
  t.equal(entries[1]?.target_id, user.id);
});

t.test('a stale If-Match is 412 and writes nothing; a current one writes', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('etag@contoso.com');
  await scim.patch(user.id, [{ op: 'Replace', path: 'name.familyName', value: 'Two' }]);
  const stale = await scim.patch(user.id, [{ op: 'Replace', path: 'name.familyName', value: 'Lost' }], { 'if-match': 'W/"1"' });
  t.equal(stale.statusCode, 412);
  const current = await scim.patch(user.id, [{ op: 'Replace', path: 'name.familyName', value: 'Three' }], { 'if-match': 'W/"2"' });
  t.equal(current.statusCode, 200);
  t.equal(((current.json() as User)['name'] as { familyName: string }).familyName, 'Three');
});

t.test('concurrent PUTs and PATCHes of one user each land once, with one entry each', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const user = await scim.create('race@contoso.com');
  const n = testDatabaseUrl() ? 30 : 10;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => scim.patch(user.id, [{ op: 'Replace', path: 'displayName', value: `D${i}` }])));
  t.same(results.map((r) => r.statusCode), Array(n).fill(200));
  const versions = results.map((r) => (r.json() as User).meta['version']).sort();
  t.equal(new Set(versions).size, n, 'each write answered the version it wrote');
  const row = await testApp.deps.database.db.selectFrom('accounts').select('version').where('id', '=', user.id).executeTakeFirstOrThrow();
  t.equal(row.version, n + 1);
  const updates = await testApp.deps.database.db.selectFrom('provisioning_log').select('operation').where('tenant_id', '=', tenant.tenantId).where('operation', '=', 'Update').execute();
  t.equal(updates.length, n);
});

t.test('a version-conditional write on a stale version writes neither the account nor its entry', async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const tenant = await createTestTenant(testApp);
  const id = randomUUID();
  await insertAccount(db, tenant.tenantId, id, values('cond@contoso.com', 'One'), new Date());
  t.equal(await updateAccountIfVersion(db, tenant.tenantId, id, values('cond@contoso.com', 'Stale'), 7, new Date(), entry('Update')), undefined);
  t.equal(await insertEntryIfVersion(db, tenant.tenantId, id, 7, entry('Update')), false);
  const updated = await updateAccountIfVersion(db, tenant.tenantId, id, values('cond@contoso.com', 'Two'), 1, new Date(), entry('Update'));
  t.equal(updated?.version, 2);
  t.equal(await insertEntryIfVersion(db, tenant.tenantId, id, 2, entry('Update')), true);
  const logged = await db.selectFrom('provisioning_log').select(['operation', 'target_user_name']).where('tenant_id', '=', tenant.tenantId).execute();
  t.same(logged, [{ operation: 'Update', target_user_name: 'cond@contoso.com' }, { operation: 'Update', target_user_name: 'cond@contoso.com' }]);
  t.same((await findAccountWithGroups(db, tenant.tenantId, id))?.resource['name'], { givenName: 'Ada', familyName: 'Two' });
});

t.test('EXPLAIN: the read with groups finds the account by its key and the groups through group_members_account_idx', async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const tenant = await createTestTenant(testApp);
  await sql`insert into accounts (tenant_id, id, user_name, external_id, given_name, family_name, active, resource, created_at, updated_at)
    select ${tenant.tenantId}::uuid, gen_random_uuid(), 'u' || g || '@x.test', 'e' || g, 'G', 'F', true, '{}'::jsonb, now(), now()
    from generate_series(1, 3000) g`.execute(db);
  // Twenty groups with every account in one of them, so scanning the memberships is not the cheap plan.
  await sql`insert into groups (tenant_id, id, display_name, created_at, updated_at)
    select ${tenant.tenantId}::uuid, gen_random_uuid(), 'group ' || g, now(), now() from generate_series(1, 20) g`.execute(db);
  await sql`insert into group_members (tenant_id, group_id, account_id, added_at)
    select a.tenant_id, g.id, a.id, now() from accounts a join lateral (select id from groups where tenant_id = a.tenant_id order by id limit 1) g on true
    where a.tenant_id = ${tenant.tenantId}`.execute(db);
  await sql`analyze accounts`.execute(db);
  await sql`analyze groups`.execute(db);
  await sql`analyze group_members`.execute(db);
  const plan = await accountWithGroupsQuery(db, tenant.tenantId, randomUUID()).explain();
  const text = plan.map((row) => Object.values(row).join(' ')).join('\n');
  t.match(text, /Index (Only )?Scan using accounts_pkey/, text);
  t.match(text, /group_members_account_idx/, text);
});

t.test('filters of one shape compile to one text, so one prepared statement serves every value', async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const text = (filter: string) => {
    const where = compileFilter(parseFilter(filter));
    return db.selectFrom('accounts').select('id').where(() => where).compile();
  };
  const a = text('userName eq "a@x"');
  const b = text('userName eq "b@contoso.com"');
  t.equal(a.sql, b.sql);
  t.notSame(a.parameters, b.parameters);
  t.equal(text('emails[type eq "work"].value eq "x"').sql, text('emails[type eq "home"].value eq "yy"').sql);
  t.equal(text('urn:ietf:params:scim:schemas:extension:Custom:2.0:User:tag eq "A"').sql, text('urn:ietf:params:scim:schemas:extension:Other:2.0:User:code eq "B"').sql, 'custom attribute names are parameters too');
  t.not(text('userName eq "a"').sql, text('userName sw "a"').sql, 'another shape is another text');
});

t.test('shapes have a budget apart from the code statements: past it a new shape runs unnamed, code statements stay named', async (t) => {
  for (let i = 0; i < MAX_NAMED_SHAPES + 5; i++) statementName(`select ${i} as n ${SHAPE_MARK}`);
  t.equal(statementName(`select 'overflow' ${SHAPE_MARK}`), undefined);
  t.type(statementName(`select 'code' ${PREPARED_MARK}`), 'string');
  t.type(statementName(`select 0 as n ${SHAPE_MARK}`), 'string', 'a shape named before keeps its name');
});
