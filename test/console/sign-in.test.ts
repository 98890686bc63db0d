import t from 'tap';
import { createAdminToken, revokeToken } from '../../src/admin/admin-token-service.js';
import { buildTestApp } from '../helpers/app.js';
import { ConsoleBrowser, fakeAdminTokens, signInWithToken } from '../helpers/console.js';
import { createTestTenant } from '../helpers/tenants.js';
import { cliActor } from '../../src/audit/request-actor.js';

async function setup(t: { teardown(fn: () => unknown): void }, env: Record<string, string> = {}) {
  const testApp = await buildTestApp(t, { env, appOptions: { consoleAdminTokens: async (token) => tokens(token) } });
  const tenant = await createTestTenant(testApp, `Contoso ${Math.random()}`);
  const tokens = (token: string) =>
    fakeAdminTokens({
      'tenant-admin': { tenantId: tenant.tenantId, subject: 'ops token', role: 'admin' },
      'service-admin': { tenantId: null, subject: 'root token', role: 'admin' },
    })(token);
  return { ...testApp, tenant, browser: new ConsoleBrowser(testApp.app) };
}

t.test('a visitor without a session is sent to the sign-in page', async (t) => {
  const { browser } = await setup(t);
  const res = await browser.get('/console/logs');
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/console/sign-in?next=%2Fconsole%2Flogs');
});

t.test('signing in with a tenant admin token lands on the page asked for, in that tenant', async (t) => {
  const { browser, tenant } = await setup(t);
  const res = await signInWithToken(browser, 'tenant-admin');
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/console/logs');
  const cookie = res.cookies[0] as { name: string; httpOnly?: boolean; sameSite?: string; secure?: boolean; maxAge?: number };
  t.match(cookie, { name: '__Host-pp-console', httpOnly: true, sameSite: 'Lax', secure: true, maxAge: 480 * 60 });
  t.ok(browser.cookieHeader().length > 0);
  t.not(tenant.tenantId, '');
});

t.test('a wrong admin token is refused with 401 and no session', async (t) => {
  const { browser } = await setup(t);
  const res = await signInWithToken(browser, 'nope');
  t.equal(res.statusCode, 401);
  t.match(res.body, /not valid/);
});

t.test('a form post without the CSRF token is refused with 403', async (t) => {
  const { browser } = await setup(t);
  await browser.get('/console/sign-in');
  const res = await browser.post('/console/sign-in/token', { token: 'tenant-admin', _csrf: null });
  t.equal(res.statusCode, 403);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.body, /form has expired/);
});

t.test('a form post with another session\'s CSRF token is refused with 403', async (t) => {
  const { app, browser } = await setup(t);
  const other = new ConsoleBrowser(app);
  await other.get('/console/sign-in');
  await browser.get('/console/sign-in');
  const res = await browser.post('/console/sign-in/token', { token: 'tenant-admin', _csrf: other.csrf ?? '' });
  t.equal(res.statusCode, 403);
});

t.test('sign-out needs the CSRF token too, then ends the session', async (t) => {
  const { browser } = await setup(t);
  await signInWithToken(browser, 'tenant-admin');
  await browser.get('/console/logs');
  const session = browser.cookieHeader();
  t.equal((await browser.post('/console/sign-out', { _csrf: 'forged' })).statusCode, 403);
  const out = await browser.post('/console/sign-out');
  t.equal(out.statusCode, 303);
  t.equal(browser.cookies.size, 0);
  t.not(session, browser.cookieHeader());
});

t.test('a cookie whose payload was edited is no session', async (t) => {
  const { app, browser } = await setup(t);
  await signInWithToken(browser, 'tenant-admin');
  const [name, value] = [...browser.cookies][0] as [string, string];
  const [payload, signature] = value.split('.') as [string, string];
  const edited = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  edited.user.role = 'admin';
  edited.user.tenantId = '00000000-0000-0000-0000-000000000000';
  const forged = `${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
  const res = await app.inject({ method: 'GET', url: '/console/logs', headers: { cookie: `${name}=${forged}` } });
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/console\/sign-in/);
});

t.test('a session ends after CONSOLE_SESSION_TTL_MINUTES', async (t) => {
  const { browser, clock } = await setup(t, { CONSOLE_SESSION_TTL_MINUTES: '30' });
  await signInWithToken(browser, 'tenant-admin');
  clock.advance(29 * 60_000);
  t.equal((await browser.get('/console/tenants')).statusCode, 403, 'still signed in (a tenant token may not switch tenants)');
  clock.advance(2 * 60_000);
  t.equal((await browser.get('/console/tenants')).statusCode, 303, 'sent to sign in again');
});

t.test('over plain http the cookie is not Secure and is scoped to /console', async (t) => {
  const { browser } = await setup(t, { PUBLIC_BASE_URL: 'http://console.test' });
  const res = await browser.get('/console/sign-in');
  t.match(res.cookies[0], { name: 'pp-console', path: '/console', httpOnly: true, sameSite: 'Lax' });
  t.notOk((res.cookies[0] as { secure?: boolean }).secure);
});

t.test('console pages carry a strict Content-Security-Policy and are never cached', async (t) => {
  const { browser } = await setup(t);
  const res = await browser.get('/console/sign-in');
  const csp = String(res.headers['content-security-policy']);
  for (const directive of ["default-src 'self'", "script-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
    t.match(csp, directive);
  }
  t.notMatch(csp, /unsafe-inline|unsafe-eval/);
  t.equal(res.headers['cache-control'], 'no-store');
  t.equal(res.headers['x-frame-options'], 'DENY');
  t.notMatch(res.body, /<script>|\sstyle=|\son[a-z]+=/i, 'no inline script, style or handlers');
});

t.test('the Content-Security-Policy is scoped to the console', async (t) => {
  const { app } = await setup(t);
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(res.headers['content-security-policy'], undefined);
});

t.test('a service-wide token chooses a tenant before seeing any page', async (t) => {
  const { browser, tenant } = await setup(t);
  const res = await signInWithToken(browser, 'service-admin');
  t.equal(res.headers.location, '/console/tenants');
  t.equal((await browser.get('/console/logs')).headers.location, '/console/tenants');
  const list = await browser.get('/console/tenants');
  t.match(list.body, tenant.tenantId);
  const chosen = await browser.post('/console/tenants', { tenantId: tenant.tenantId });
  t.equal(chosen.headers.location, '/console/logs');
});

t.test('a tenant operator cannot switch to another tenant', async (t) => {
  const testApp = await setup(t);
  const other = await createTestTenant(testApp, `Other ${Math.random()}`);
  await signInWithToken(testApp.browser, 'tenant-admin');
  await testApp.browser.get('/console/logs');
  t.equal((await testApp.browser.post('/console/tenants', { tenantId: other.tenantId })).statusCode, 403);
});

t.test('the next parameter cannot send a person off-site after sign-in', async (t) => {
  const { browser } = await setup(t);
  await browser.get('/console/sign-in');
  const res = await browser.post('/console/sign-in/token', { token: 'tenant-admin', next: '//evil.example/x' });
  t.equal(res.headers.location, '/console');
});

t.test('revoking the admin token ends the console session it opened', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const { id, token } = await createAdminToken({ db: testApp.deps.database.db, clock: testApp.deps.clock }, { tenant: tenant.tenantId, role: 'admin' }, cliActor('test'));
  const browser = new ConsoleBrowser(testApp.app);
  t.equal((await signInWithToken(browser, token)).headers.location, '/console/logs');
  t.equal((await browser.get('/console/logs')).statusCode, 200);
  await revokeToken({ db: testApp.deps.database.db, clock: testApp.deps.clock }, id, cliActor('test'));
  const after = await browser.get('/console/logs');
  t.equal(after.statusCode, 303);
  t.match(after.headers.location, /^\/console\/sign-in/);
});
