import t from 'tap';
import { createClient } from '../../src/oauth/credential-service.js';
import { findTenantById } from '../../src/store/tenants.js';
import { buildTestApp } from '../helpers/app.js';
import { ConsoleBrowser, fakeAdminTokens, signInWithToken } from '../helpers/console.js';
import { createTestTenant } from '../helpers/tenants.js';
import { cliActor } from '../../src/audit/request-actor.js';

async function setup(t: { teardown(fn: () => unknown): void }) {
  const tokens: Parameters<typeof fakeAdminTokens>[0] = {};
  const testApp = await buildTestApp(t, { appOptions: { consoleAdminTokens: (tok) => fakeAdminTokens(tokens)(tok) } });
  const tenant = await createTestTenant(testApp);
  tokens['service-admin'] = { tenantId: null, subject: 'ops lead', role: 'admin' };
  tokens['service-viewer'] = { tenantId: null, subject: 'ops watcher', role: 'viewer' };
  tokens['tenant-admin'] = { tenantId: tenant.tenantId, subject: 'msp admin', role: 'admin' };
  const as = async (token: string) => {
    const browser = new ConsoleBrowser(testApp.app);
    await signInWithToken(browser, token);
    return browser;
  };
  return { ...testApp, tenant, as, db: testApp.deps.database.db };
}

const uniqueName = (what: string) => `${what} ${Math.random().toString(36).slice(2, 8)}`;

t.test('a service-wide admin creates, renames, disables and enables a tenant in the console', async (t) => {
  const { as, db, app, clock } = await setup(t);
  const browser = await as('service-admin');
  const list = await browser.get('/console/tenants');
  t.match(list.body, 'Manage tenants');

  const name = uniqueName('Fabrikam');
  const created = await browser.post('/console/tenants/create', { name });
  t.equal(created.statusCode, 303);
  t.equal(created.headers.location, '/console/tenants?done=created');
  const page = await browser.get('/console/tenants?done=created');
  t.match(page.body, name);
  const id = new RegExp(`<td>${name}<br><code class="muted">([0-9a-f-]{36})</code>`).exec(page.body)?.[1] ?? '';
  t.match((await findTenantById(db, id))?.name, name);

  const renamed = uniqueName('Fabrikam Ltd');
  t.equal((await browser.post('/console/tenants/rename', { tenantId: id, name: renamed })).statusCode, 303);
  t.equal((await findTenantById(db, id))?.name, renamed);

  // Disabling closes the tenant to Entra: its OAuth client gets no token while it is disabled.
  const { clientId, clientSecret } = await createClient({ db, clock }, id, cliActor('test'));
  const token = () =>
    app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    });
  t.equal((await token()).statusCode, 200);
  t.equal((await browser.post('/console/tenants/disable', { tenantId: id })).statusCode, 303);
  t.equal((await findTenantById(db, id))?.status, 'disabled');
  t.not((await token()).statusCode, 200, 'a disabled tenant gets no token');
  t.equal((await browser.post('/console/tenants/enable', { tenantId: id })).statusCode, 303);
  t.equal((await findTenantById(db, id))?.status, 'active');
  t.equal((await token()).statusCode, 200);
});

t.test('tenant changes without the CSRF token are refused and change nothing', async (t) => {
  const { as, db, tenant } = await setup(t);
  const browser = await as('service-admin');
  await browser.get('/console/tenants');
  const before = await findTenantById(db, tenant.tenantId);
  for (const [url, form] of [
    ['/console/tenants/create', { name: uniqueName('Forged') }],
    ['/console/tenants/rename', { tenantId: tenant.tenantId, name: uniqueName('Forged') }],
    ['/console/tenants/disable', { tenantId: tenant.tenantId }],
  ] as const) {
    const res = await browser.post(url, { ...form, _csrf: 'forged' });
    t.equal(res.statusCode, 403, url);
    t.match(res.headers['content-type'], /^text\/html/);
  }
  t.same(await findTenantById(db, tenant.tenantId), before);
});

t.test('a service-wide viewer and a tenant admin cannot create, rename, disable or enable tenants', async (t) => {
  const { as, db, tenant } = await setup(t);
  for (const who of ['service-viewer', 'tenant-admin']) {
    const browser = await as(who);
    await browser.get('/console/logs');
    const list = await browser.get('/console/tenants');
    t.notMatch(list.body, 'Manage tenants', `${who} sees no management forms`);
    for (const [url, form] of [
      ['/console/tenants/create', { name: uniqueName('Sneaky') }],
      ['/console/tenants/rename', { tenantId: tenant.tenantId, name: uniqueName('Sneaky') }],
      ['/console/tenants/disable', { tenantId: tenant.tenantId }],
      ['/console/tenants/enable', { tenantId: tenant.tenantId }],
    ] as const) {
      t.equal((await browser.post(url, form)).statusCode, 403, `${who}: ${url}`);
    }
  }
  const after = await findTenantById(db, tenant.tenantId);
  t.equal(after?.status, 'active');
  t.notMatch(after?.name, /Sneaky/);
});

t.test('a taken, empty or unknown tenant is said on a page, not a 500', async (t) => {
  const { as, tenant, db } = await setup(t);
  const browser = await as('service-admin');
  await browser.get('/console/tenants');
  const name = (await findTenantById(db, tenant.tenantId))?.name ?? '';
  const other = uniqueName('Other');
  await browser.post('/console/tenants/create', { name: other });
  const taken = await browser.post('/console/tenants/create', { name: name.toUpperCase() });
  t.equal(taken.statusCode, 400);
  t.match(taken.body, 'already exists');
  const renameTaken = await browser.post('/console/tenants/rename', { tenantId: tenant.tenantId, name: other });
  t.equal(renameTaken.statusCode, 400);
  t.match(renameTaken.body, 'already exists');
  t.equal((await browser.post('/console/tenants/rename', { tenantId: tenant.tenantId, name: ' ' })).statusCode, 400);
  t.equal((await browser.post('/console/tenants/disable', { tenantId: '00000000-0000-0000-0000-000000000000' })).statusCode, 404);
  t.equal((await browser.post('/console/tenants/enable', { tenantId: 'x' })).statusCode, 404);
  t.equal((await findTenantById(db, tenant.tenantId))?.name, name);
});

t.test('renaming the tenant being viewed updates the name the header shows', async (t) => {
  const { as, tenant } = await setup(t);
  const browser = await as('service-admin');
  await browser.get('/console/tenants');
  await browser.post('/console/tenants', { tenantId: tenant.tenantId });
  await browser.get('/console/tenants');
  const renamed = uniqueName('Renamed');
  await browser.post('/console/tenants/rename', { tenantId: tenant.tenantId, name: renamed });
  const logs = await browser.get('/console/logs');
  t.match(logs.body, `<span>${renamed}</span>`);
});
