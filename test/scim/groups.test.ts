import t from 'tap';
import type { ProvisioningLogRow } from '../../src/store/tables.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { ERROR, PATCH_OP, scimClient, type ScimClient } from '../helpers/scim.js';
import { createTestTenant, type TestTenant } from '../helpers/tenants.js';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const q = (filter: string) => encodeURIComponent(filter);

interface Group {
  id: string;
  displayName: string;
  externalId?: string;
  members?: { value: string; display: string; $ref: string; type: string }[];
  meta: { version: string; location: string; resourceType: string };
}

async function setup(t: { teardown(fn: () => unknown): void }) {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  return { testApp, tenant, scim };
}

const groupPatch = (scim: ScimClient, id: string, operations: unknown[], headers?: Record<string, string>) =>
  scim.request('PATCH', `Groups/${id}`, { schemas: [PATCH_OP], Operations: operations }, headers);

async function createGroup(scim: ScimClient, displayName: string, extra: Record<string, unknown> = {}): Promise<Group> {
  const res = await scim.request('POST', 'Groups', { schemas: [GROUP], displayName, ...extra });
  if (res.statusCode !== 201) throw new Error(`create group failed: ${res.statusCode} ${res.body}`);
  return res.json() as Group;
}

async function users(scim: ScimClient, n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) ids.push((await scim.create(`${prefix}${i}@contoso.com`, { displayName: `${prefix} ${i}` })).id);
  return ids;
}

const entries = async (testApp: TestApp, tenant: TestTenant): Promise<ProvisioningLogRow[]> => {
  await testApp.app.flushProvisioningLog();
  return testApp.deps.database.db.selectFrom('provisioning_log').selectAll().where('tenant_id', '=', tenant.tenantId).orderBy('id').execute();
};

t.test("Entra's group flow: create empty, add in batches, remove one by value path, rename, read without members, filter, delete", async (t) => {
  const { scim } = await setup(t);
  const ids = await users(scim, 7, 'flow');

  // Entra first looks the group up by displayName, without members.
  const lookup = await scim.request('GET', `Groups?excludedAttributes=members&filter=${q('displayName eq "Sales Team"')}`);
  t.equal(lookup.statusCode, 200);
  t.equal(lookup.json().totalResults, 0);

  const created = await scim.request('POST', 'Groups', { schemas: [GROUP], externalId: 'entra-object-1', displayName: 'Sales Team', members: [] });
  t.equal(created.statusCode, 201);
  const group = created.json() as Group;
  t.match(group, { schemas: [GROUP], displayName: 'Sales Team', externalId: 'entra-object-1', meta: { resourceType: 'Group', version: 'W/"1"' } });
  t.equal(group.members, undefined, 'an empty group shows no members');
  t.equal(created.headers['location'], group.meta.location);
  t.match(group.meta.location, new RegExp(`/scim/v2/Groups/${group.id}$`));

  // Members in batches, the way Entra sends them: Add with a value list, capitalised op.
  for (const batch of [ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]) {
    const res = await groupPatch(scim, group.id, [{ op: 'Add', path: 'members', value: batch.map((value) => ({ $ref: null, value })) }]);
    t.equal(res.statusCode, 204, 'a PATCH answers 204 without reading the members back');
    t.ok(res.headers['etag']);
  }
  const full = (await scim.request('GET', `Groups/${group.id}`)).json() as Group;
  t.same(full.members?.map((m) => m.value).sort(), [...ids].sort());
  t.match(full.members?.find((m) => m.value === ids[0]), { type: 'User', display: 'flow 0', $ref: new RegExp(`/Users/${ids[0]}$`) });
  t.equal(full.meta.version, 'W/"4"');

  const removed = await groupPatch(scim, group.id, [{ op: 'Remove', path: `members[value eq "${ids[2]}"]` }]);
  t.equal(removed.statusCode, 204);
  const renamed = await groupPatch(scim, group.id, [{ op: 'Replace', path: 'displayName', value: 'Sales EMEA' }]);
  t.equal(renamed.statusCode, 204);
  // A path-less Replace as Entra also sends it, with the readOnly id echoed back (ignored).
  t.equal((await groupPatch(scim, group.id, [{ op: 'Replace', value: { id: group.id, displayName: 'Sales Europe' } }])).statusCode, 204);

  const slim = await scim.request('GET', `Groups/${group.id}?excludedAttributes=members`);
  t.equal(slim.statusCode, 200);
  t.equal(slim.json().members, undefined);
  t.equal(slim.json().displayName, 'Sales Europe');

  const found = (await scim.request('GET', `Groups?excludedAttributes=members&filter=${q('displayName eq "sales europe"')}`)).json();
  t.equal(found.totalResults, 1, 'displayName matches ignoring case');
  t.equal(found.Resources[0].id, group.id);
  t.equal(found.Resources[0].members, undefined);
  const after = (await scim.request('GET', `Groups/${group.id}`)).json() as Group;
  t.same(after.members?.map((m) => m.value).sort(), ids.filter((id) => id !== ids[2]).sort());

  // The user's readOnly groups attribute lists the group.
  const user = (await scim.request('GET', `Users/${ids[0]}`)).json();
  t.match(user.groups, [{ value: group.id, display: 'Sales Europe', $ref: new RegExp(`/Groups/${group.id}$`) }]);
  t.equal((await scim.request('GET', `Users/${ids[2]}`)).json().groups, undefined);

  t.equal((await scim.request('DELETE', `Groups/${group.id}`)).statusCode, 204);
  t.equal((await scim.request('GET', `Groups/${group.id}`)).statusCode, 404);
  t.equal((await scim.request('GET', `Users/${ids[0]}`)).json().groups, undefined);
});

t.test('displayName is unique per tenant ignoring case: 409 uniqueness on create, rename and PUT', async (t) => {
  const { scim } = await setup(t);
  await createGroup(scim, 'Admins');
  const other = await createGroup(scim, 'Helpdesk');
  const dup = await scim.request('POST', 'Groups', { schemas: [GROUP], displayName: 'ADMINS' });
  t.equal(dup.statusCode, 409);
  t.match(dup.json(), { schemas: [ERROR], status: '409', scimType: 'uniqueness' });
  const rename = await groupPatch(scim, other.id, [{ op: 'replace', path: 'displayName', value: 'admins' }]);
  t.equal(rename.statusCode, 409);
  t.equal(rename.json().scimType, 'uniqueness');
  const put = await scim.request('PUT', `Groups/${other.id}`, { schemas: [GROUP], displayName: 'Admins' });
  t.equal(put.statusCode, 409);
  t.equal((await scim.request('GET', `Groups/${other.id}`)).json().displayName, 'Helpdesk');
});

t.test('a member that is not a user of the tenant is 400 invalidValue naming it, and nothing of the request applies', async (t) => {
  const { testApp, scim } = await setup(t);
  const otherTenant = await createTestTenant(testApp);
  const foreign = (await scimClient(testApp.app, otherTenant).create('foreign@fabrikam.com')).id;
  const [mine = ''] = await users(scim, 1, 'mine');
  const group = await createGroup(scim, 'Engineers');

  const res = await groupPatch(scim, group.id, [
    { op: 'Replace', path: 'displayName', value: 'Engineers 2' },
    { op: 'Add', path: 'members', value: [{ value: mine }, { value: foreign }, { value: 'not-an-id' }] },
  ]);
  t.equal(res.statusCode, 400);
  t.match(res.json(), { schemas: [ERROR], status: '400', scimType: 'invalidValue' });
  t.match(res.json().detail, foreign);
  t.match(res.json().detail, 'not-an-id');
  const after = (await scim.request('GET', `Groups/${group.id}`)).json() as Group;
  t.equal(after.displayName, 'Engineers', 'the rename in the same request did not apply');
  t.equal(after.members, undefined, 'the valid member was not added either');
  t.equal(after.meta.version, group.meta.version);

  const create = await scim.request('POST', 'Groups', { schemas: [GROUP], displayName: 'Never', members: [{ value: foreign }] });
  t.equal(create.statusCode, 400);
  t.equal(create.json().scimType, 'invalidValue');
  t.equal((await scim.request('GET', `Groups?filter=${q('displayName eq "Never"')}`)).json().totalResults, 0);
});

t.test('deleting a user removes it from its groups and changes their ETags', async (t) => {
  const { scim } = await setup(t);
  const [a = '', b = ''] = await users(scim, 2, 'del');
  const group = await createGroup(scim, 'Leavers', { members: [{ value: a }, { value: b }] });
  t.equal(group.members?.length, 2);
  t.equal((await scim.request('DELETE', `Users/${a}`)).statusCode, 204);
  const after = (await scim.request('GET', `Groups/${group.id}`)).json() as Group;
  t.same(after.members?.map((m) => m.value), [b]);
  t.not(after.meta.version, group.meta.version);
  t.equal((await scim.request('GET', `Groups?filter=${q(`members[value eq "${a}"]`)}`)).json().totalResults, 0);
});

t.test('groups are tenant-scoped: another tenant can neither see nor change them', async (t) => {
  const { testApp, tenant, scim } = await setup(t);
  const [member = ''] = await users(scim, 1, 'iso');
  const group = await createGroup(scim, 'Private', { members: [{ value: member }] });
  const other = await createTestTenant(testApp);
  const them = scimClient(testApp.app, other);
  t.equal((await them.request('GET', `Groups/${group.id}`)).statusCode, 404);
  t.equal((await them.request('GET', 'Groups')).json().totalResults, 0);
  t.equal((await them.request('GET', `Groups?filter=${q(`members[value eq "${member}"]`)}`)).json().totalResults, 0);
  t.equal((await groupPatch(them, group.id, [{ op: 'Remove', path: 'members' }])).statusCode, 404);
  t.equal((await them.request('DELETE', `Groups/${group.id}`)).statusCode, 404);
  // The same name is free in another tenant.
  t.equal((await them.request('POST', 'Groups', { schemas: [GROUP], displayName: 'Private' })).statusCode, 201);
  // The Tenant URL form serves groups too, and refuses another tenant's path.
  t.equal((await scim.request('GET', `/scim/v2/tenants/${tenant.tenantId}/Groups/${group.id}`)).statusCode, 200);
  t.equal((await scim.request('GET', `/scim/v2/tenants/${other.tenantId}/Groups/${group.id}`)).statusCode, 401);
  t.equal((await scim.request('GET', `Groups/${group.id}`)).json().members.length, 1);
});

t.test('filters: externalId eq, id eq, members[value eq], members.value eq, and .search', async (t) => {
  const { scim } = await setup(t);
  const [a = '', b = ''] = await users(scim, 2, 'flt');
  const one = await createGroup(scim, 'One', { externalId: 'ext-1', members: [{ value: a }] });
  const two = await createGroup(scim, 'Two', { externalId: 'EXT-2', members: [{ value: a }, { value: b }] });
  const ids = async (filter: string) =>
    ((await scim.request('GET', `Groups?excludedAttributes=members&filter=${q(filter)}`)).json().Resources as Group[]).map((g) => g.id).sort();
  t.same(await ids('externalId eq "ext-1"'), [one.id]);
  t.same(await ids('externalId eq "ext-2"'), [], 'externalId is caseExact');
  t.same(await ids(`id eq "${two.id}"`), [two.id]);
  t.same(await ids(`members[value eq "${b}"]`), [two.id]);
  t.same(await ids(`members[value eq "${a}"]`), [one.id, two.id].sort());
  t.same(await ids(`members.value eq "${b}"`), [two.id]);
  t.same(await ids(`displayName eq "One" or members[value eq "${b}"]`), [one.id, two.id].sort());
  t.same(await ids('members[value eq "not-a-uuid"]'), []);
  const bad = await scim.request('GET', `Groups?filter=${q('members[display eq "x"]')}`);
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().scimType, 'invalidFilter');
  const search = await scim.request('POST', 'Groups/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'displayName eq "two"', excludedAttributes: ['members'] });
  t.equal(search.statusCode, 200);
  t.same(search.json().Resources.map((g: Group) => g.id), [two.id]);
  t.equal(search.json().Resources[0].members, undefined);
  const sorted = (await scim.request('GET', 'Groups?sortBy=displayName&sortOrder=descending&attributes=displayName')).json();
  t.same(sorted.Resources.map((g: Group) => g.displayName), ['Two', 'One']);
});

t.test('PUT replaces the members and fields; PATCH Replace members sets them; Remove with no value empties the group', async (t) => {
  const { scim } = await setup(t);
  const [a = '', b = '', c = ''] = await users(scim, 3, 'put');
  const group = await createGroup(scim, 'Replace me', { members: [{ value: a }, { value: b }] });
  const put = await scim.request('PUT', `Groups/${group.id}`, { schemas: [GROUP], displayName: 'Replaced', externalId: 'x1', members: [{ value: b }, { value: c }] });
  t.equal(put.statusCode, 200);
  t.same((put.json() as Group).members?.map((m) => m.value).sort(), [b, c].sort());
  t.match(put.json(), { displayName: 'Replaced', externalId: 'x1' });
  t.equal((await groupPatch(scim, group.id, [{ op: 'replace', path: 'members', value: [{ value: a }] }])).statusCode, 204);
  t.same(((await scim.request('GET', `Groups/${group.id}`)).json() as Group).members?.map((m) => m.value), [a]);
  const withBody = await groupPatch(scim, group.id, [{ op: 'remove', path: 'members' }]);
  t.equal(withBody.statusCode, 204);
  t.equal((await scim.request('GET', `Groups/${group.id}`)).json().members, undefined);
  const shaped = await scim.request('PATCH', `Groups/${group.id}?attributes=displayName`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'externalId' }] });
  t.equal(shaped.statusCode, 200, 'asked for attributes, the PATCH answers the group');
  t.same(Object.keys(shaped.json()).sort(), ['displayName', 'id', 'schemas']);
});

t.test('ETags: If-None-Match answers 304, a stale If-Match is 412 and changes nothing', async (t) => {
  const { scim } = await setup(t);
  const [a = ''] = await users(scim, 1, 'etag');
  const group = await createGroup(scim, 'Tagged');
  const same = await scim.request('GET', `Groups/${group.id}`, undefined, { 'if-none-match': group.meta.version });
  t.equal(same.statusCode, 304);
  t.equal((await groupPatch(scim, group.id, [{ op: 'add', path: 'members', value: [{ value: a }] }], { 'if-match': group.meta.version })).statusCode, 204);
  const stale = await groupPatch(scim, group.id, [{ op: 'remove', path: `members[value eq "${a}"]` }], { 'if-match': group.meta.version });
  t.equal(stale.statusCode, 412);
  t.equal(((await scim.request('GET', `Groups/${group.id}`)).json() as Group).members?.length, 1);
  // Re-sending an add changes nothing, so the version stays.
  const before = (await scim.request('GET', `Groups/${group.id}`)).json() as Group;
  await groupPatch(scim, group.id, [{ op: 'add', path: 'members', value: [{ value: a }] }]);
  t.equal(((await scim.request('GET', `Groups/${group.id}`)).json() as Group).meta.version, before.meta.version);
});

t.test('a PATCH may carry SCIM_MAX_PATCH_OPERATIONS member changes, and one more is refused', async (t) => {
  const { testApp, tenant, scim } = await setup(t);
  const { sql } = await import('kysely');
  await sql`insert into accounts (tenant_id, id, user_name, given_name, family_name, active, resource, created_at, updated_at)
    select ${tenant.tenantId}::uuid, gen_random_uuid(), 'bulk' || g, 'G', 'F', true, '{}'::jsonb, now(), now()
    from generate_series(1, 1001) g`.execute(testApp.deps.database.db);
  const rows = await testApp.deps.database.db.selectFrom('accounts').select('id').where('tenant_id', '=', tenant.tenantId).execute();
  const ids = rows.map((r) => r.id);
  const group = await createGroup(scim, 'Big');
  const tooMany = await groupPatch(scim, group.id, [{ op: 'Add', path: 'members', value: ids.map((value) => ({ value })) }]);
  t.equal(tooMany.statusCode, 400);
  t.equal(tooMany.json().scimType, 'invalidValue');
  const ok = await groupPatch(scim, group.id, [{ op: 'Add', path: 'members', value: ids.slice(0, 1000).map((value) => ({ value })) }]);
  t.equal(ok.statusCode, 204);
  const page = (await scim.request('GET', `Groups?filter=${q(`id eq "${group.id}"`)}&attributes=members.value`)).json();
  t.equal(page.Resources[0].members.length, 1000);
});

t.test('the provisioning log names each group operation, with the member ids changed, in the same transaction', async (t) => {
  const { testApp, tenant, scim } = await setup(t);
  const [a = '', b = ''] = await users(scim, 2, 'log');
  const group = await createGroup(scim, 'Logged', { members: [{ value: a }] });
  await groupPatch(scim, group.id, [{ op: 'Add', path: 'members', value: [{ value: b }] }]);
  await groupPatch(scim, group.id, [{ op: 'Remove', path: `members[value eq "${a}"]` }]);
  await groupPatch(scim, group.id, [{ op: 'Replace', path: 'displayName', value: 'Logged 2' }]);
  await groupPatch(scim, group.id, [{ op: 'Add', path: 'members', value: [{ value: '00000000-0000-4000-8000-000000000000' }] }]);
  // A failure's entry is written after its rollback, through the batch: flushed so the order is the requests'.
  await testApp.app.flushProvisioningLog();
  await scim.request('DELETE', `Groups/${group.id}`);
  const writes = (await entries(testApp, tenant)).filter((e) => e.target_id === group.id && e.operation !== 'Get');
  t.same(writes.map((e) => [e.operation, e.outcome, e.http_status]), [
    ['Create group', 'success', 201],
    ['Add members', 'success', 204],
    ['Remove members', 'success', 204],
    ['Update group', 'success', 204],
    ['Add members', 'failure', 400],
    ['Delete group', 'success', 204],
  ]);
  t.same(writes[0]?.changes, [{ attribute: 'displayName', new: 'Logged' }, { attribute: 'members', new: a }]);
  t.same(writes[1]?.changes, [{ attribute: 'members', new: b }]);
  t.same(writes[2]?.changes, [{ attribute: 'members', old: a }]);
  t.same(writes[3]?.changes, [{ attribute: 'displayName', old: 'Logged', new: 'Logged 2' }]);
  t.equal(writes[3]?.target_user_name, 'Logged 2', 'the target name is the group displayName');
  t.equal(writes[4]?.scim_type, 'invalidValue');
});

t.test('bad input answers SCIM errors, never 500', async (t) => {
  const { scim } = await setup(t);
  const group = await createGroup(scim, 'Errors');
  const cases: [string, string, unknown, number, string | null][] = [
    ['POST', 'Groups', { schemas: [GROUP] }, 400, 'invalidValue'],
    ['POST', 'Groups', { displayName: 'x' }, 400, 'invalidSyntax'],
    ['POST', 'Groups', { schemas: [GROUP], displayName: 'y', members: [{ value: 'u', type: 'Group' }] }, 400, 'invalidValue'],
    ['PATCH', `Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'id', value: 'x' }] }, 400, 'mutability'],
    ['PATCH', `Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'displayName' }] }, 400, 'invalidValue'],
    ['PATCH', `Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'nickName', value: 'x' }] }, 400, 'invalidPath'],
    ['PATCH', `Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members[value eq "x"]', value: 'x' }] }, 400, 'invalidPath'],
    ['PATCH', `Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members[display eq "x"]' }] }, 400, 'invalidPath'],
    ['PATCH', `Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove' }] }, 400, 'noTarget'],
    ['PATCH', 'Groups/not-a-uuid', { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members' }] }, 404, null],
    ['GET', 'Groups?attributes=userName', undefined, 400, 'invalidValue'],
    ['GET', 'Groups?sortBy=members', undefined, 400, 'invalidValue'],
    ['GET', `Groups?filter=${q('userName eq "x"')}`, undefined, 400, 'invalidFilter'],
  ];
  for (const [method, url, body, status, scimType] of cases) {
    const res = await scim.request(method as 'GET', url, body);
    t.equal(res.statusCode, status, `${method} ${url} ${JSON.stringify(body)}`);
    t.equal(res.json().scimType ?? null, scimType, `${method} ${url} scimType`);
    t.equal(res.json().schemas?.[0], ERROR);
  }
});
