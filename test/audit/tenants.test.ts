import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import { createSetupService } from '../../src/console/setup-service.js';
import { buildTestApp } from '../helpers/app.js';
import { chainOf, cliAs, entriesFor } from '../helpers/audit.js';
import { ConsoleBrowser, fakeAdminTokens, signInWithToken } from '../helpers/console.js';
import { openTestDatabase } from '../helpers/database.js';
import { createTestTenant } from '../helpers/tenants.js';

const uniqueName = (what: string) => `${what} ${Math.random().toString(36).slice(2, 8)}`;

t.test('CLI: tenant create, disable and enable each write an entry naming the OS user, old → new', async (t) => {
  const { deps } = await buildTestApp(t);
  const name = uniqueName('Contoso');
  const created = await cliAs(deps, 'alice', 'tenant', 'create', name, '--json');
  t.equal(created.code, 0);
  const id = String(created.json()['id']);
  t.equal((await cliAs(deps, 'bob', 'tenant', 'disable', id)).code, 0);
  t.equal((await cliAs(deps, 'bob', 'tenant', 'enable', name)).code, 0);
  const chain = await chainOf(deps.database.db, id);
  t.match(chain, [
    { seq: 1, action: 'tenant.create', outcome: 'success', actor: { type: 'cli', id: 'alice' }, target: { type: 'tenant', id }, changes: { name: { old: null, new: name }, status: { old: null, new: 'active' } } },
    { seq: 2, action: 'tenant.disable', actor: { type: 'cli', id: 'bob' }, changes: { status: { old: 'active', new: 'disabled' } } },
    { seq: 3, action: 'tenant.enable', changes: { status: { old: 'disabled', new: 'active' } } },
  ]);
  t.equal(chain.length, 3);
});

t.test('CLI: a refused tenant create (name taken) writes a failure entry and no tenant.create success', async (t) => {
  const { deps } = await buildTestApp(t);
  const name = uniqueName('Taken');
  await cliAs(deps, 'alice', 'tenant', 'create', name);
  const before = (await entriesFor(deps.database.db, 'tenant.create')).length;
  const run = await cliAs(deps, 'mallory', 'tenant', 'create', name.toUpperCase());
  t.equal(run.code, 1);
  const after = await entriesFor(deps.database.db, 'tenant.create');
  t.equal(after.length, before + 1);
  t.match(after.at(-1), { tenantId: SERVICE_WIDE, outcome: 'failure', actor: { id: 'mallory' }, detail: { reason: /already exists/ } });
  const unknown = await cliAs(deps, 'mallory', 'tenant', 'disable', 'no-such-tenant');
  t.equal(unknown.code, 1);
  t.match((await entriesFor(deps.database.db, 'tenant.disable')).at(-1), { tenantId: SERVICE_WIDE, outcome: 'failure', detail: { tenant: 'no-such-tenant' } });
});

t.test('console: create, rename, disable, enable are recorded with the console actor, source address and user agent', async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const ops = (await cliAs(testApp.deps, 'alice', 'admin-token', 'create', '--label', 'ops lead', '--json')).json();
  const tokenId = String(ops['id']);
  const browser = new ConsoleBrowser(testApp.app);
  await signInWithToken(browser, String(ops['token']));
  await browser.get('/console/tenants');
  const name = uniqueName('Fabrikam');
  t.equal((await browser.post('/console/tenants/create', { name })).statusCode, 303);
  const [created] = (await entriesFor(db, 'tenant.create')).filter((e) => e.changes?.['name']?.new === name);
  t.ok(created);
  const id = created?.target?.id ?? '';
  const renamed = uniqueName('Fabrikam Ltd');
  t.equal((await browser.post('/console/tenants/rename', { tenantId: id, name: renamed })).statusCode, 303);
  t.equal((await browser.post('/console/tenants/disable', { tenantId: id })).statusCode, 303);
  t.equal((await browser.post('/console/tenants/enable', { tenantId: id })).statusCode, 303);
  const chain = await chainOf(db, id);
  const actor = { type: 'console', id: tokenId, label: `admin-token:${tokenId}`, sourceIp: '127.0.0.1', userAgent: 'lightMyRequest' };
  t.match(chain, [
    { action: 'tenant.create', actor },
    { action: 'tenant.rename', actor, changes: { name: { old: name, new: renamed } } },
    { action: 'tenant.disable', actor, changes: { status: { old: 'active', new: 'disabled' } } },
    { action: 'tenant.enable', actor, changes: { status: { old: 'disabled', new: 'active' } } },
  ]);
  t.notOk(chain[1]?.changes?.['status'], 'a rename records only what changed');
});

t.test('console: a tenant admin trying to rename a tenant is refused and recorded in their tenant, nothing renamed', async (t) => {
  const tokens: Parameters<typeof fakeAdminTokens>[0] = {};
  const testApp = await buildTestApp(t, { appOptions: { consoleAdminTokens: fakeAdminTokens(tokens) } });
  const tenant = await createTestTenant(testApp);
  tokens['msp'] = { tenantId: tenant.tenantId, subject: 'msp admin', role: 'admin' };
  const browser = new ConsoleBrowser(testApp.app);
  await signInWithToken(browser, 'msp');
  await browser.get('/console/logs');
  const res = await browser.post('/console/tenants/rename', { tenantId: tenant.tenantId, name: uniqueName('Hijack') });
  t.equal(res.statusCode, 403);
  const chain = await chainOf(testApp.deps.database.db, tenant.tenantId);
  t.match(chain.at(-1), { action: 'tenant.rename', outcome: 'refused', actor: { type: 'console', label: 'msp admin' }, detail: { reason: 'not a service-wide operator' } });
  t.notOk(chain.some((e) => e.action === 'tenant.rename' && e.outcome === 'success'));
});

t.test('first-run setup: a refused link and a rolled-back setup write only their failure; the used link writes its entries', async (t) => {
  const testDb = await openTestDatabase(t);
  const testApp = await buildTestApp(t, { testDb });
  const db = testApp.deps.database.db;
  const code = (await createSetupService(testApp.deps).offerIfUnset()) ?? '';
  const browser = new ConsoleBrowser(testApp.app);

  await browser.get('/console/sign-in');
  t.equal((await browser.post('/console/setup', { code: 'not-the-code', tenant: 'Contoso' })).statusCode, 410);
  t.match(await chainOf(db, SERVICE_WIDE), [{ action: 'setup.use', outcome: 'refused', actor: { type: 'setup', sourceIp: '127.0.0.1' }, detail: { reason: 'unknown' } }]);

  // A name that looks like an id fails inside the setup's transaction: the code stays valid, no tenant, no tenant entry.
  await browser.get(`/console/setup?code=${code}`);
  t.equal((await browser.post('/console/setup', { code, tenant: '11111111-1111-4111-8111-111111111111' })).statusCode, 400);
  t.equal((await entriesFor(db, 'tenant.create')).length, 0, 'the rolled-back tenant left no entry');
  t.match((await chainOf(db, SERVICE_WIDE)).at(-1), { action: 'setup.use', outcome: 'failure', detail: { reason: /must not look like a tenant id/ } });

  t.equal((await browser.post('/console/setup', { code, tenant: 'Contoso' })).statusCode, 200);
  const used = (await chainOf(db, SERVICE_WIDE)).filter((e) => e.outcome === 'success');
  t.match(used, [
    { action: 'admin_token.create', actor: { type: 'setup' }, changes: { role: { old: null, new: 'admin' }, label: { old: null, new: 'first-run setup' } } },
    { action: 'setup.use', actor: { type: 'setup' }, target: { type: 'tenant' } },
  ]);
  const tenantId = used[1]?.target?.id ?? '';
  t.match(await chainOf(db, tenantId), [{ action: 'tenant.create', actor: { type: 'setup' }, changes: { name: { old: null, new: 'Contoso' } } }]);
  const entries = JSON.stringify(await chainOf(db, SERVICE_WIDE));
  t.notOk(entries.includes(code), 'the setup code is not in any entry');
});
