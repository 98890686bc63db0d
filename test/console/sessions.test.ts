import { createHash, randomUUID } from 'node:crypto';
import { sign } from '@fastify/cookie';
import t from 'tap';
import { createAdminToken } from '../../src/admin/admin-token-service.js';
import { setTenantEnabled } from '../../src/tenants/service.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { testClock } from '../helpers/clock.js';
import { ConsoleBrowser, oidcSignIn, sessionCookiePayload, signInWithToken } from '../helpers/console.js';
import { createTestTenant } from '../helpers/tenants.js';
import { startFakeOidcProvider } from '../fakes/oidc-provider.js';
import { cliActor } from '../../src/audit/request-actor.js';

// Server-side console sessions (issue 15 item 7): sign-out, allow-list changes and a disabled tenant end a session
// whatever the browser (or whoever copied its cookie) keeps.

const SECRET = 'a-console-session-secret-shared-by-every-replica-0123456789';

interface TestLike {
  teardown(fn: () => unknown): void;
}

async function withAdminToken(t: TestLike, testApp?: TestApp) {
  const app = testApp ?? (await buildTestApp(t, { env: { CONSOLE_SESSION_SECRET: SECRET } }));
  const tenant = await createTestTenant(app, `Contoso ${randomUUID()}`);
  const deps = { db: app.deps.database.db, clock: app.deps.clock };
  const { token } = await createAdminToken(deps, { tenant: tenant.tenantId, role: 'admin' }, cliActor('test'));
  const browser = new ConsoleBrowser(app.app);
  const signedIn = await signInWithToken(browser, token);
  if (signedIn.headers.location !== '/console/logs') throw new Error(`sign-in answered ${signedIn.statusCode}`);
  return { ...app, tenant, token, browser };
}

/** A request with a cookie header kept from before, as an attacker holding a copy of it would send. */
const replay = (testApp: Pick<TestApp, 'app'>, cookie: string, url = '/console/logs') =>
  testApp.app.inject({ method: 'GET', url, headers: { cookie } });

t.test('after sign-out the old session cookie opens nothing', async (t) => {
  const { app, browser } = await withAdminToken(t);
  t.equal((await browser.get('/console/logs')).statusCode, 200);
  const copy = browser.cookieHeader();
  t.equal((await browser.post('/console/sign-out')).statusCode, 303);
  const res = await replay({ app }, copy);
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/console\/sign-in/);
  const post = await app.inject({
    method: 'POST',
    url: '/console/credentials/clients',
    headers: { cookie: copy, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: browser.csrf ?? '' }).toString(),
  });
  t.ok([401, 403].includes(post.statusCode), `nor may it post a form (${post.statusCode})`);
});

t.test('sign-out on one replica ends the session on every replica', async (t) => {
  const first = await withAdminToken(t);
  const second = await buildTestApp(t, { env: { CONSOLE_SESSION_SECRET: SECRET }, testDb: first.testDb, clock: first.clock });
  const copy = first.browser.cookieHeader();
  t.equal((await replay(second, copy)).statusCode, 200, 'the other replica reads the session');
  await first.browser.get('/console/logs');
  t.equal((await first.browser.post('/console/sign-out')).statusCode, 303);
  t.equal((await replay(second, copy)).statusCode, 303);
});

t.test('signing in again ends the session the browser had before', async (t) => {
  const { app, browser, token } = await withAdminToken(t);
  const before = browser.cookieHeader();
  await browser.get('/console/logs');
  t.equal((await browser.post('/console/sign-in/token', { token })).statusCode, 303);
  t.not(browser.cookieHeader(), before);
  t.equal((await browser.get('/console/logs')).statusCode, 200);
  t.equal((await replay({ app }, before)).statusCode, 303);
});

t.test('disabling the tenant ends its console sessions, for good', async (t) => {
  const { app, deps, browser, tenant } = await withAdminToken(t);
  t.equal((await browser.get('/console/logs')).statusCode, 200);
  const copy = browser.cookieHeader();
  await setTenantEnabled({ db: deps.database.db, clock: deps.clock }, tenant.tenantId, false, cliActor('test'));
  const res = await browser.get('/console/logs');
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/console\/sign-in/);
  t.equal((await browser.get('/console/logs')).statusCode, 303, 'the cookie was dropped');
  await setTenantEnabled({ db: deps.database.db, clock: deps.clock }, tenant.tenantId, true, cliActor('test'));
  t.equal((await replay({ app }, copy)).statusCode, 303, 'enabling the tenant again does not bring the session back');
});

t.test("a disabled tenant's admin token cannot sign in to the console", async (t) => {
  const { deps, tenant, token, app } = await withAdminToken(t);
  await setTenantEnabled({ db: deps.database.db, clock: deps.clock }, tenant.tenantId, false, cliActor('test'));
  const res = await signInWithToken(new ConsoleBrowser(app), token);
  t.equal(res.statusCode, 401);
});

t.test('a service-wide operator viewing a tenant that is then disabled goes back to choosing one, and cannot choose it', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp, `Fabrikam ${randomUUID()}`);
  const { token } = await createAdminToken({ db: testApp.deps.database.db, clock: testApp.deps.clock }, { role: 'admin' }, cliActor('test'));
  const browser = new ConsoleBrowser(testApp.app);
  t.equal((await signInWithToken(browser, token)).headers.location, '/console/tenants');
  await browser.get('/console/tenants');
  t.equal((await browser.post('/console/tenants', { tenantId: tenant.tenantId })).headers.location, '/console/logs');
  t.equal((await browser.get('/console/logs')).statusCode, 200);
  await setTenantEnabled({ db: testApp.deps.database.db, clock: testApp.deps.clock }, tenant.tenantId, false, cliActor('test'));
  t.equal((await browser.get('/console/logs')).headers.location, '/console/tenants');
  const list = await browser.get('/console/tenants');
  t.equal(list.statusCode, 200, 'still signed in');
  t.equal((await browser.post('/console/tenants', { tenantId: tenant.tenantId })).statusCode, 403);
});

t.test('a cookie from before server-side sessions (signed, but naming no session) is no session', async (t) => {
  const { app, tenant } = await withAdminToken(t);
  const payload = {
    csrf: 'x'.repeat(43),
    expiresAt: Date.parse('2030-01-01T00:00:00Z'),
    user: { subject: 'ops', via: 'admin-token', role: 'admin', tenantId: tenant.tenantId, tenantName: 'Contoso', serviceWide: false },
  };
  const value = sign(Buffer.from(JSON.stringify(payload)).toString('base64url'), SECRET);
  const res = await replay({ app }, `__Host-pp-console=${value}`);
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/console\/sign-in/);
});

t.test('the session id is stored only as its SHA-256', async (t) => {
  const { deps, browser } = await withAdminToken(t);
  const sid = sessionCookiePayload(browser)['sid'];
  t.type(sid, 'string');
  t.match(sid, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
  const rows = await deps.database.db.selectFrom('console_sessions').select(['id_hash', 'subject']).execute();
  t.ok(rows.some((r) => r.id_hash === createHash('sha256').update(String(sid)).digest('hex')));
  t.notOk(JSON.stringify(rows).includes(String(sid)));
});

t.test('expired sessions are deleted when someone signs in, a bounded batch at a time', async (t) => {
  const testApp = await buildTestApp(t, { env: { CONSOLE_SESSION_TTL_MINUTES: '30' } });
  const first = await withAdminToken(t, testApp);
  const hashOf = (browser: ConsoleBrowser) => createHash('sha256').update(String(sessionCookiePayload(browser)['sid'])).digest('hex');
  const stored = async (idHash: string) =>
    (await testApp.deps.database.db.selectFrom('console_sessions').select('id_hash').where('id_hash', '=', idHash).execute()).length;
  const expired = hashOf(first.browser);
  t.equal(await stored(expired), 1);
  testApp.clock.advance(31 * 60_000);
  t.equal((await first.browser.get('/console/logs')).statusCode, 303, 'expired');
  const next = new ConsoleBrowser(testApp.app);
  await signInWithToken(next, first.token);
  t.equal(await stored(expired), 0, 'the expired one is gone');
  t.equal(await stored(hashOf(next)), 1, 'the new one stays');
});

t.test('OpenID sessions follow the allow-list of the moment', async (t) => {
  const clock = testClock();
  const provider = await startFakeOidcProvider({ now: () => clock.now() });
  t.teardown(() => provider.close());
  const tenantName = `Contoso ${randomUUID()}`;
  const oidcEnv = (allowList: string) => ({
    CONSOLE_SESSION_SECRET: SECRET,
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.clientId,
    OIDC_CLIENT_SECRET: provider.clientSecret,
    OIDC_ALLOW_LIST: allowList,
  });
  const before = await buildTestApp(t, { clock, env: oidcEnv(`alice@contoso.example=${tenantName}:admin; bob@contoso.example=${tenantName}:viewer`) });
  const tenant = await createTestTenant(before, tenantName);
  const browser = new ConsoleBrowser(before.app);
  provider.signInAs({ sub: 'alice-1', email: 'alice@contoso.example', email_verified: true });
  t.equal((await oidcSignIn(browser)).headers.location, '/console/logs');
  const alice = browser.cookieHeader();

  t.test('removed from the allow-list: refused once a replica runs with the new list', async (t) => {
    // A rolling restart with the new OIDC_ALLOW_LIST: same database, same cookie key, Alice no longer listed.
    const after = await buildTestApp(t, { clock, testDb: before.testDb, env: oidcEnv(`bob@contoso.example=${tenantName}:viewer`) });
    clock.advance(after.deps.config.credentialRecheckSeconds * 1000);
    const res = await replay(after, alice);
    t.equal(res.statusCode, 303);
    t.match(res.headers.location, /^\/console\/sign-in/);
    t.equal((await replay(before, alice)).statusCode, 200, 'a replica still on the old list has not been told otherwise');
  });

  t.test('given another role or tenant: the session ends and signing in again gives the new mapping', async (t) => {
    const other = await createTestTenant(before, `Other ${randomUUID()}`);
    const demoted = await buildTestApp(t, { clock, testDb: before.testDb, env: oidcEnv(`alice@contoso.example=${tenantName}:viewer`) });
    t.equal((await replay(demoted, alice)).statusCode, 303, 'admin → viewer');
    const moved = await buildTestApp(t, { clock, testDb: before.testDb, env: oidcEnv(`alice@contoso.example=${other.tenantId}:admin`) });
    t.equal((await replay(moved, alice)).statusCode, 303, 'moved to another tenant');
  });

  t.test('its tenant disabled: refused', async (t) => {
    const browser2 = new ConsoleBrowser(before.app);
    provider.signInAs({ sub: 'bob-1', email: 'bob@contoso.example', email_verified: true });
    t.equal((await oidcSignIn(browser2)).headers.location, '/console/logs');
    t.equal((await browser2.get('/console/logs')).statusCode, 200);
    await setTenantEnabled({ db: before.deps.database.db, clock: before.deps.clock }, tenant.tenantId, false, cliActor('test'));
    t.equal((await browser2.get('/console/logs')).statusCode, 303);
    t.equal((await replay(before, alice)).statusCode, 303);
  });
});
