import t from 'tap';
import { createAdminToken } from '../../src/admin/admin-token-service.js';
import { createSetupService, SETUP_CODE_TTL_MS, SetupRefused } from '../../src/console/setup-service.js';
import { listTenants } from '../../src/store/tenants.js';
import { buildTestApp } from '../helpers/app.js';
import { ConsoleBrowser, sessionCookiePayload, signInWithToken } from '../helpers/console.js';
import { openTestDatabase } from '../helpers/database.js';
import { cliActor } from '../../src/audit/request-actor.js';

type TestLike = Parameters<typeof openTestDatabase>[0] & object;

/** The app on a database of the test's own, unset (no tenant, no admin token), with a setup code offered. */
async function unsetApp(t: TestLike) {
  const testDb = await openTestDatabase(t);
  const testApp = await buildTestApp(t, { testDb });
  const setup = createSetupService(testApp.deps);
  const code = await setup.offerIfUnset();
  if (!code) throw new Error('no setup code offered on an unset database');
  return { ...testApp, setup, code, browser: new ConsoleBrowser(testApp.app), db: testApp.deps.database.db };
}

const adminTokenShown = (body: string): string | undefined => /id="admin-token-value">([^<]+)</.exec(body)?.[1];

t.test('an unset database gets a setup code of 256 random bits, kept only as a digest', async (t) => {
  const { code, db } = await unsetApp(t);
  t.match(code, /^[A-Za-z0-9_-]{43}$/);
  const rows = await db.selectFrom('setup_codes').selectAll().execute();
  t.equal(rows.length, 1);
  t.notOk(JSON.stringify(rows).includes(code), 'the code itself is not stored');
});

t.test('a database with a tenant or an admin token gets no setup code', async (t) => {
  const testDb = await openTestDatabase(t);
  const testApp = await buildTestApp(t, { testDb });
  await createAdminToken({ db: testApp.deps.database.db, clock: testApp.clock }, { role: 'admin' }, cliActor('test'));
  t.equal(await createSetupService(testApp.deps).offerIfUnset(), undefined);
  t.equal((await testApp.deps.database.db.selectFrom('setup_codes').selectAll().execute()).length, 0);
});

t.test('the setup link shows a form whose POST creates the first tenant and signs in a service-wide admin', async (t) => {
  const { browser, code, db, app } = await unsetApp(t);
  const form = await browser.get(`/console/setup?code=${code}`);
  t.equal(form.statusCode, 200);
  t.match(form.body, "First tenant's name");
  t.match(form.headers['content-security-policy'], /script-src 'self'/);
  t.equal(form.headers['cache-control'], 'no-store');

  const done = await browser.post('/console/setup', { code, tenant: 'Contoso MSP' });
  t.equal(done.statusCode, 200);
  t.match(done.body, 'Setup complete');
  t.match(done.body, 'action="/console/credentials/clients"', 'leads to creating the OAuth client');
  const tenants = await listTenants(db);
  t.same(tenants.map((x) => x.name), ['Contoso MSP']);
  const session = sessionCookiePayload(browser);
  t.match(session['user'], { serviceWide: true, role: 'admin', tenantId: tenants[0]?.id, via: 'admin-token' });

  // Signed in: the credentials page and the tenant picker open, and the OAuth client comes out with its four values.
  t.equal((await browser.get('/console/tenants')).statusCode, 200);
  t.equal((await browser.get('/console/credentials')).statusCode, 200);
  const client = await browser.post('/console/credentials/clients');
  for (const label of ['Tenant URL', 'Token Endpoint', 'Client Identifier', 'Client Secret']) t.match(client.body, `<dt>${label}</dt>`);

  // The admin token shown once signs in again later (a restart without CONSOLE_SESSION_SECRET ends sessions).
  const token = adminTokenShown(done.body) ?? '';
  t.match(token, /^ppadm_/);
  const again = new ConsoleBrowser(app);
  const signIn = await signInWithToken(again, token);
  t.equal(signIn.statusCode, 303);
  t.equal(signIn.headers.location, '/console/tenants', 'a service-wide sign-in chooses a tenant');
});

t.test('a setup POST without the CSRF token is refused and leaves the link valid', async (t) => {
  const { browser, code, db, setup } = await unsetApp(t);
  await browser.get(`/console/setup?code=${code}`);
  const forged = await browser.post('/console/setup', { code, tenant: 'Contoso MSP', _csrf: 'forged' });
  t.equal(forged.statusCode, 403);
  t.same(await listTenants(db), []);
  t.equal(await setup.check(code), 'valid');
});

t.test('a used setup link is refused with a clear 410 page and opens no session', async (t) => {
  const { browser, code, app } = await unsetApp(t);
  await browser.get(`/console/setup?code=${code}`);
  t.equal((await browser.post('/console/setup', { code, tenant: 'Contoso MSP' })).statusCode, 200);

  const other = new ConsoleBrowser(app);
  const shown = await other.get(`/console/setup?code=${code}`);
  t.equal(shown.statusCode, 410);
  t.match(shown.body, 'This setup link no longer works');
  t.match(shown.headers['content-type'], /^text\/html/);
  // Posting it anyway (with a CSRF token of an anonymous session) creates nothing and signs nobody in.
  await other.get('/console/sign-in');
  const posted = await other.post('/console/setup', { code, tenant: 'Fabrikam' });
  t.equal(posted.statusCode, 410);
  t.notOk(sessionCookiePayload(other)['user'], 'still anonymous');
  t.equal((await other.get('/console/tenants')).statusCode, 303, 'sent to sign-in');
});

t.test('a setup link works until 24 hours after it was logged, then shows the expired page', async (t) => {
  const { browser, code, clock, db } = await unsetApp(t);
  clock.advance(SETUP_CODE_TTL_MS - 1);
  t.equal((await browser.get(`/console/setup?code=${code}`)).statusCode, 200, 'still valid a moment before');
  clock.advance(1);
  const expired = await browser.get(`/console/setup?code=${code}`);
  t.equal(expired.statusCode, 410);
  t.match(expired.body, 'This setup link has expired');
  const posted = await browser.post('/console/setup', { code, tenant: 'Contoso MSP' });
  t.equal(posted.statusCode, 410);
  t.same(await listTenants(db), []);
});

t.test('starting again before the link is used logs a new one, and the old one stops working', async (t) => {
  const { browser, code, setup } = await unsetApp(t);
  const newer = await setup.offerIfUnset();
  t.ok(newer && newer !== code);
  t.equal((await browser.get(`/console/setup?code=${code}`)).statusCode, 410);
  t.equal((await browser.get(`/console/setup?code=${newer}`)).statusCode, 200);
});

t.test('a wrong or missing code gets the clear page, never a 500', async (t) => {
  const { browser, code } = await unsetApp(t);
  for (const url of ['/console/setup', '/console/setup?code=', `/console/setup?code=${code.slice(0, -1)}x`, `/console/setup?code=${'a'.repeat(3000)}`]) {
    t.equal((await browser.get(url)).statusCode, 410, url);
  }
});

t.test('a name the tenant cannot have is said on the form, and the link stays valid', async (t) => {
  const { browser, code, setup, db } = await unsetApp(t);
  await browser.get(`/console/setup?code=${code}`);
  const res = await browser.post('/console/setup', { code, tenant: '   ' });
  t.equal(res.statusCode, 400);
  t.match(res.body, 'a tenant name must be 1 to 200 characters');
  t.same(await listTenants(db), []);
  t.equal(await setup.check(code), 'valid');
});

t.test('two uses of one code at once: exactly one creates the tenant', async (t) => {
  const { setup, code, db } = await unsetApp(t);
  const results = await Promise.allSettled([setup.complete(code, 'First', cliActor('test')), setup.complete(code, 'Second', cliActor('test'))]);
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const refused = results.find((r) => r.status === 'rejected');
  t.ok(refused && refused.status === 'rejected' && refused.reason instanceof SetupRefused);
  t.equal((await listTenants(db)).length, 1);
  t.equal((await db.selectFrom('admin_tokens').selectAll().execute()).length, 1);
});

t.test('an admin token made meanwhile (the CLI beside the service) closes the setup link', async (t) => {
  const { browser, code, db, clock } = await unsetApp(t);
  await createAdminToken({ db, clock }, { role: 'admin' }, cliActor('test'));
  const res = await browser.get(`/console/setup?code=${code}`);
  t.equal(res.statusCode, 410);
  t.match(res.body, 'This service is already set up');
});
