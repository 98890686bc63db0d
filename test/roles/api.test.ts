import t, { type Test } from 'tap';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { createTestAdmin, type TestAdmin } from '../helpers/admin.js';
import { NABLE, scimClient, type ScimClient } from '../helpers/scim.js';
import { createTestTenant, type TestTenant } from '../helpers/tenants.js';

// Roles through the real API: admin rules, SCIM groups and app roles, on the test database (PG or PGlite).
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface World {
  testApp: TestApp;
  tenant: TestTenant;
  admin: TestAdmin;
  scim: ScimClient;
}

async function world(t: Test): Promise<World> {
  // Every answer is checked against openapi/portal-provisioning.yaml (test/helpers/contract.ts).
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  return { testApp, tenant, admin: await createTestAdmin(testApp, tenant.tenantId), scim: scimClient(testApp.app, tenant) };
}

const admin = (w: World, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, who: TestAdmin = w.admin) =>
  w.testApp.app.inject({ method, url: `/admin/v1${url}`, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

const roleOf = async (w: World, id: string): Promise<unknown> => {
  const res = await w.scim.request('GET', `Users/${id}?attributes=${encodeURIComponent(`${NABLE}:role`)}`);
  return (res.json() as Record<string, Record<string, unknown> | undefined>)[NABLE]?.['role'];
};

const roleEntries = (w: World) =>
  w.testApp.deps.database.db.selectFrom('provisioning_log').selectAll().where('tenant_id', '=', w.tenant.tenantId).where('operation', '=', 'Change role').orderBy('id').execute();

const createGroup = async (w: World, displayName: string, members: string[], externalId?: string): Promise<string> => {
  const res = await w.scim.request('POST', 'Groups', { schemas: [GROUP], displayName, ...(externalId ? { externalId } : {}), members: members.map((value) => ({ value })) });
  if (res.statusCode !== 201) throw new Error(`group: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
};

t.test('a rule gives group members its role; removal from the group drops it; each change is logged old → new with its cause', async (t) => {
  const w = await world(t);
  const bob = await w.scim.create('bob@contoso.com');
  t.equal(await roleOf(w, bob.id), 'read-only', 'the tenant default at first');
  t.notOk(JSON.stringify((await w.scim.request('GET', `Users/${bob.id}`)).json()).includes(NABLE), 'the role is returned only on request');
  const rule = await admin(w, 'POST', '/role-rules', { matchBy: 'displayName', value: 'helpdesk admins', role: 'admin' });
  t.equal(rule.statusCode, 201);
  const ruleId = (rule.json() as { id: string }).id;
  const groupId = await createGroup(w, 'Helpdesk Admins', [bob.id]);
  t.equal(await roleOf(w, bob.id), 'admin', 'member of a group a rule names');
  const account = await admin(w, 'GET', `/accounts/${bob.id}`);
  t.equal((account.json() as { role?: unknown }).role, 'admin', 'the admin API shows the effective role on the account');
  const listed = await admin(w, 'GET', '/accounts');
  t.same((listed.json() as { accounts: { id: string; role: string }[] }).accounts.map((a) => [a.id, a.role]), [[bob.id, 'admin']]);
  const removed = await w.scim.request('PATCH', `Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${bob.id}"]` }] });
  t.ok(removed.statusCode < 300);
  t.equal(await roleOf(w, bob.id), 'read-only', 'out of the group, back to the default');
  const log = await roleEntries(w);
  t.same(log.map((e) => e.changes), [[{ attribute: 'role', old: 'read-only', new: 'admin' }], [{ attribute: 'role', old: 'admin', new: 'read-only' }]]);
  t.match(log[0]?.detail, new RegExp(`Member of group "Helpdesk Admins".*rule ${ruleId}.*Caused by: Create group`));
  t.match(log[1]?.detail, /tenant default is read-only.*Caused by: PATCH of group "Helpdesk Admins": 0 added, 1 removed/);
  t.equal(log[0]?.target_id, bob.id);
});

t.test('an Entra app role wins over a group rule; a rule matches by externalId too', async (t) => {
  const w = await world(t);
  const pat = await w.scim.create('pat@contoso.com');
  await admin(w, 'POST', '/role-rules', { matchBy: 'externalId', value: 'AAD-ADMINS', role: 'admin' });
  await createGroup(w, 'Admins', [pat.id], 'aad-admins');
  t.equal(await roleOf(w, pat.id), 'admin');
  const res = await w.scim.patch(pat.id, [{ op: 'Add', path: 'roles[primary eq "True"].value', value: 'Technician' }]);
  t.equal(res.statusCode, 200);
  t.equal(await roleOf(w, pat.id), 'technician', 'the app role decides');
  const last = (await roleEntries(w)).at(-1);
  t.match(last?.detail, /admin → technician\. Entra app role "Technician" assigns technician/);
  await w.scim.patch(pat.id, [{ op: 'Remove', path: 'roles' }]);
  t.equal(await roleOf(w, pat.id), 'admin', 'without the app role, the group rule again');
  const created = await w.scim.create('ann@contoso.com', { roles: [{ value: 'Admin', primary: true }] });
  t.equal(await roleOf(w, created.id), 'admin', 'an app role sent at creation');
});

t.test('deleting a rule recomputes its members; changing the default moves the accounts at the default', async (t) => {
  const w = await world(t);
  const a = await w.scim.create('a@contoso.com');
  const b = await w.scim.create('b@contoso.com');
  const rule = (await admin(w, 'POST', '/role-rules', { matchBy: 'displayName', value: 'Techs', role: 'technician' })).json() as { id: string };
  await createGroup(w, 'Techs', [a.id]);
  t.equal(await roleOf(w, a.id), 'technician');
  t.equal((await admin(w, 'DELETE', `/role-rules/${rule.id}`)).statusCode, 204);
  t.equal(await roleOf(w, a.id), 'read-only');
  t.match((await roleEntries(w)).at(-1)?.detail, new RegExp(`Caused by: Role rule ${rule.id} .* deleted`));
  const setDefault = await admin(w, 'PUT', '/role-rules/default', { role: 'technician' });
  t.same(setDefault.json(), { defaultRole: 'technician' });
  t.equal(await roleOf(w, b.id), 'technician');
  t.same((await admin(w, 'GET', '/role-rules')).json(), { defaultRole: 'technician', items: [] });
});

t.test('a second rule for the same group name is 409; bad input is 400, never 500', async (t) => {
  const w = await world(t);
  t.equal((await admin(w, 'POST', '/role-rules', { matchBy: 'displayName', value: 'X', role: 'admin' })).statusCode, 201);
  const again = await admin(w, 'POST', '/role-rules', { matchBy: 'displayName', value: 'x', role: 'technician' });
  t.equal(again.statusCode, 409);
  t.match(again.json(), { error: 'invalidInput' });
  const owner = await admin(w, 'POST', '/role-rules', { matchBy: 'displayName', value: 'Y', role: 'owner' });
  t.equal(owner.statusCode, 400, owner.body);
  t.equal((await admin(w, 'POST', '/role-rules', { matchBy: 'email', value: 'Y', role: 'admin' })).statusCode, 400);
  const nul = await admin(w, 'POST', '/role-rules', { matchBy: 'displayName', value: 'a\u0000b', role: 'admin' });
  t.equal(nul.statusCode, 400, nul.body);
  t.equal((await admin(w, 'DELETE', '/role-rules/not-a-uuid')).statusCode, 400);
});

t.test('tenant isolation on every role route, and viewers only read', async (t) => {
  const w = await world(t);
  const other = await createTestTenant(w.testApp);
  const otherAdmin = await createTestAdmin(w.testApp, other.tenantId);
  const rule = (await admin(w, 'POST', '/role-rules', { matchBy: 'displayName', value: 'Ours', role: 'admin' })).json() as { id: string };
  t.same(((await admin(w, 'GET', '/role-rules', undefined, otherAdmin)).json() as { items: unknown[] }).items, [], 'another tenant sees none of ours');
  t.equal((await admin(w, 'GET', `/role-rules/${rule.id}`, undefined, otherAdmin)).statusCode, 404);
  t.equal((await admin(w, 'DELETE', `/role-rules/${rule.id}`, undefined, otherAdmin)).statusCode, 404);
  t.equal((await admin(w, 'GET', `/role-rules?tenant=${w.tenant.tenantId}`, undefined, otherAdmin)).statusCode, 403);
  t.equal((await admin(w, 'PUT', `/role-rules/default?tenant=${w.tenant.tenantId}`, { role: 'admin' }, otherAdmin)).statusCode, 403);
  t.equal((await admin(w, 'GET', `/role-rules/${rule.id}`)).statusCode, 200, 'still there for its own tenant');
  const viewer = await createTestAdmin(w.testApp, w.tenant.tenantId, 'viewer');
  t.equal((await admin(w, 'GET', '/role-rules', undefined, viewer)).statusCode, 200);
  t.equal((await admin(w, 'POST', '/role-rules', { matchBy: 'displayName', value: 'V', role: 'admin' }, viewer)).statusCode, 403);
  t.equal((await admin(w, 'DELETE', `/role-rules/${rule.id}`, undefined, viewer)).statusCode, 403);
  t.equal((await admin(w, 'PUT', '/role-rules/default', { role: 'admin' }, viewer)).statusCode, 403);
  const serviceWide = await createTestAdmin(w.testApp);
  t.equal((await admin(w, 'GET', '/role-rules', undefined, serviceWide)).statusCode, 400, 'a service-wide token names the tenant');
  t.equal((await admin(w, 'GET', `/role-rules?tenant=${other.tenantId}`, undefined, serviceWide)).statusCode, 200);
});
