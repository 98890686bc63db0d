import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { ConsoleBrowser, fakeAdminTokens, signInWithToken } from '../helpers/console.js';
import { scimClient } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

// The console's Roles page (issue 17): the same rules as /admin/v1/role-rules, managed by the tenant's admins.
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

async function setup(t: { teardown(fn: () => unknown): void }) {
  const tokens: Parameters<typeof fakeAdminTokens>[0] = {};
  const testApp = await buildTestApp(t, { appOptions: { consoleAdminTokens: (tok) => fakeAdminTokens(tokens)(tok) } });
  const tenant = await createTestTenant(testApp);
  const other = await createTestTenant(testApp);
  tokens['admin'] = { tenantId: tenant.tenantId, subject: 'msp admin', role: 'admin' };
  tokens['viewer'] = { tenantId: tenant.tenantId, subject: 'msp viewer', role: 'viewer' };
  tokens['other-admin'] = { tenantId: other.tenantId, subject: 'other admin', role: 'admin' };
  const as = async (token: string) => {
    const browser = new ConsoleBrowser(testApp.app);
    await signInWithToken(browser, token);
    return browser;
  };
  const db = testApp.deps.database.db;
  const roleOf = async (id: string) => (await db.selectFrom('accounts').select('role').where('id', '=', id).executeTakeFirstOrThrow()).role;
  return { ...testApp, tenant, as, db, roleOf, scim: scimClient(testApp.app, tenant) };
}

t.test('an admin adds a rule, changes the default and deletes the rule; roles follow and are logged', async (t) => {
  const { as, scim, roleOf, db, tenant } = await setup(t);
  const bob = await scim.create('bob@contoso.com');
  const carol = await scim.create('carol@contoso.com');
  const group = await scim.request('POST', 'Groups', { schemas: [GROUP], displayName: 'Helpdesk <Admins>', members: [{ value: bob.id }] });
  t.equal(group.statusCode, 201);
  const browser = await as('admin');
  t.match((await browser.get('/console/roles')).body, 'No rules');

  const created = await browser.post('/console/roles/rules', { matchBy: 'displayName', value: 'helpdesk <admins>', role: 'admin' });
  t.equal(created.statusCode, 303);
  t.equal(created.headers.location, '/console/roles?done=created');
  t.equal(await roleOf(bob.id), 'admin', 'the group member gets the rule\'s role');
  t.equal(await roleOf(carol.id), 'read-only', 'others keep the default');
  const listed = (await browser.get('/console/roles?done=created')).body;
  t.match(listed, 'helpdesk &lt;admins&gt;', 'the value is escaped');
  t.notMatch(listed, '<admins>');

  t.equal((await browser.post('/console/roles/default', { role: 'technician' })).statusCode, 303);
  t.equal(await roleOf(carol.id), 'technician', 'the default moves accounts no rule names');
  t.equal(await roleOf(bob.id), 'admin');

  const id = /name="id" value="([0-9a-f-]{36})"/.exec(listed)?.[1] ?? '';
  t.equal((await browser.post('/console/roles/rules/delete', { id })).statusCode, 303);
  t.equal(await roleOf(bob.id), 'technician', 'without the rule, back to the default');

  const log = await db.selectFrom('provisioning_log').select(['target_id', 'changes', 'detail']).where('tenant_id', '=', tenant.tenantId).where('operation', '=', 'Change role').orderBy('id').execute();
  t.same(log.map((e) => [e.target_id, e.changes]), [
    [bob.id, [{ attribute: 'role', old: 'read-only', new: 'admin' }]],
    [carol.id, [{ attribute: 'role', old: 'read-only', new: 'technician' }]],
    [bob.id, [{ attribute: 'role', old: 'admin', new: 'technician' }]],
  ]);
  t.match(log[0]?.detail, /console:msp admin/, 'the cause names who changed the rule');
});

t.test('bad input is a 400 page; a rule of another tenant is 404; a viewer reads but cannot change', async (t) => {
  const { as } = await setup(t);
  const admin = await as('admin');
  await admin.get('/console/roles');
  t.equal((await admin.post('/console/roles/rules', { matchBy: 'displayName', value: 'x', role: 'owner' })).statusCode, 400);
  t.equal((await admin.post('/console/roles/rules', { matchBy: 'mail', value: 'x', role: 'admin' })).statusCode, 400);
  t.equal((await admin.post('/console/roles/rules', { matchBy: 'displayName', value: '  ', role: 'admin' })).statusCode, 400);
  t.equal((await admin.post('/console/roles/rules', { matchBy: 'displayName', value: 'a\u0000b', role: 'admin' })).statusCode, 400);
  t.equal((await admin.post('/console/roles/default', { role: 'root' })).statusCode, 400);
  t.equal((await admin.post('/console/roles/rules', { matchBy: 'externalId', value: 'grp-1', role: 'technician' })).statusCode, 303);
  t.equal((await admin.post('/console/roles/rules', { matchBy: 'externalId', value: 'GRP-1', role: 'admin' })).statusCode, 409, 'one rule per group');
  const id = /name="id" value="([0-9a-f-]{36})"/.exec((await admin.get('/console/roles')).body)?.[1] ?? '';

  const other = await as('other-admin');
  await other.get('/console/roles');
  t.notMatch((await other.get('/console/roles')).body, 'grp-1', 'another tenant does not see the rule');
  t.equal((await other.post('/console/roles/rules/delete', { id })).statusCode, 404);
  t.equal((await other.post('/console/roles/rules/delete', { id: 'nope' })).statusCode, 404);

  const viewer = await as('viewer');
  const page = await viewer.get('/console/roles');
  t.equal(page.statusCode, 200);
  t.match(page.body, 'grp-1');
  t.notMatch(page.body, 'action="/console/roles/rules"', 'no forms for a viewer');
  t.equal((await viewer.post('/console/roles/rules', { matchBy: 'displayName', value: 'x', role: 'admin' })).statusCode, 403);
  t.equal((await viewer.post('/console/roles/rules/delete', { id })).statusCode, 403);
  t.equal((await viewer.post('/console/roles/default', { role: 'admin' })).statusCode, 403);
  t.match((await admin.get('/console/roles')).body, 'grp-1', 'the rule is still there');
});
