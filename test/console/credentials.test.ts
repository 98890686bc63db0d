import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { ConsoleBrowser, fakeAdminTokens, signInWithToken } from '../helpers/console.js';
import { createTestTenant } from '../helpers/tenants.js';

async function setup(t: { teardown(fn: () => unknown): void }) {
  const tokens: Parameters<typeof fakeAdminTokens>[0] = {};
  const testApp = await buildTestApp(t, { appOptions: { consoleAdminTokens: (tok) => fakeAdminTokens(tokens)(tok), scimAuthenticator: undefined } }); // the real SCIM credentials
  const tenant = await createTestTenant(testApp);
  const other = await createTestTenant(testApp);
  tokens['admin'] = { tenantId: tenant.tenantId, subject: 'ops admin', role: 'admin' };
  tokens['viewer'] = { tenantId: tenant.tenantId, subject: 'ops viewer', role: 'viewer' };
  const browser = new ConsoleBrowser(testApp.app);
  return { ...testApp, tenant, other, browser };
}

/** Full paths from printRoutes' tree (each level indented by four characters, children relative to parents). */
function postRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+) \(POST\)/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + (m[2] ?? '');
    stack.push(path);
    out.push(path.replace(/:\w+/g, 'x'));
  }
  return out;
}

const shownSecret = (body: string): string | undefined => /<code class="secret" id="shown-\d">([^<]+)<\/code>/.exec(body)?.[1];
const tokenRequest = (clientId: string, clientSecret: string) => ({
  method: 'POST' as const,
  url: '/oauth2/token',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
});

t.test('creating an OAuth client shows its secret once with the Tenant URL and Token Endpoint, and the secret works', async (t) => {
  const { app, browser, tenant } = await setup(t);
  await signInWithToken(browser, 'admin');
  await browser.get('/console/credentials');
  const res = await browser.post('/console/credentials/clients');
  t.equal(res.statusCode, 200);
  t.equal(res.headers['cache-control'], 'no-store');
  t.match(res.body, `https://provisioning.test/scim/v2/tenants/${tenant.tenantId}`);
  t.match(res.body, 'https://provisioning.test/oauth2/token');
  const clientId = /<dt>Client Identifier<\/dt><dd><code class="" id="shown-\d">([^<]+)</.exec(res.body)?.[1] ?? '';
  const secret = shownSecret(res.body) ?? '';
  t.ok(clientId && secret);
  t.equal((await app.inject(tokenRequest(clientId, secret))).statusCode, 200, 'Entra can get a token with it');
  const again = await browser.get('/console/credentials');
  t.match(again.body, clientId);
  t.notMatch(again.body, secret, 'never shown again');
});

t.test('rotating with no overlap replaces the secret at once; revoking stops the client', async (t) => {
  const { app, browser } = await setup(t);
  await signInWithToken(browser, 'admin');
  await browser.get('/console/credentials');
  const created = await browser.post('/console/credentials/clients');
  const clientId = /<dt>Client Identifier<\/dt><dd><code class="" id="shown-\d">([^<]+)</.exec(created.body)?.[1] ?? '';
  const first = shownSecret(created.body) ?? '';
  const rotated = await browser.post('/console/credentials/clients/rotate', { clientId, overlap: 'now' });
  const second = shownSecret(rotated.body) ?? '';
  t.not(first, second);
  t.equal((await app.inject(tokenRequest(clientId, first))).statusCode, 401);
  t.equal((await app.inject(tokenRequest(clientId, second))).statusCode, 200);
  const revoked = await browser.post('/console/credentials/clients/revoke', { clientId });
  t.equal(revoked.headers.location, '/console/credentials?done=client-revoked');
  t.equal((await app.inject(tokenRequest(clientId, second))).statusCode, 401);
  t.match((await browser.get('/console/credentials?done=client-revoked')).body, /Revoked/);
});

t.test('a secret token is created, shown once, and revoked', async (t) => {
  const { app, browser, clock } = await setup(t);
  await signInWithToken(browser, 'admin');
  await browser.get('/console/credentials');
  const created = await browser.post('/console/credentials/tokens');
  const token = shownSecret(created.body) ?? '';
  t.ok(token);
  const scim = () => app.inject({ method: 'GET', url: '/scim/v2/Users?count=1', headers: { authorization: `Bearer ${token}` } });
  const ok = await scim();
  t.equal(ok.statusCode, 200, ok.body);
  const id = /name="id" value="([^"]+)"/.exec((await browser.get('/console/credentials')).body)?.[1] ?? '';
  t.equal((await browser.post('/console/credentials/tokens/revoke', { id })).statusCode, 303);
  clock.advance(6000); // past CREDENTIAL_RECHECK_SECONDS
  t.equal((await scim()).statusCode, 401);
});

t.test("an admin cannot revoke another tenant's client", async (t) => {
  const { browser, other, app } = await setup(t);
  await signInWithToken(browser, 'admin');
  await browser.get('/console/credentials');
  const res = await browser.post('/console/credentials/clients/revoke', { clientId: other.clientId });
  t.equal(res.statusCode, 404);
  t.equal((await app.inject(tokenRequest(other.clientId, other.clientSecret))).statusCode, 200, 'still works');
});

t.test('a viewer cannot change anything: every console form post is refused with 403', async (t) => {
  const { app, browser } = await setup(t);
  await signInWithToken(browser, 'viewer');
  await browser.get('/console/logs');
  t.equal((await browser.get('/console/credentials')).statusCode, 403);
  const posts = postRoutes(app.printRoutes({ commonPrefix: false, method: 'POST' })).filter((p) => p.startsWith('/console/'));
  // The setup form is reached by its one-time code, not by a session (test/console/setup.test.ts covers it).
  const open = new Set(['/console/sign-in/token', '/console/sign-out', '/console/tenants', '/console/setup']);
  const guarded = posts.filter((p) => !open.has(p));
  t.ok(guarded.length >= 15, `found ${guarded.length} state-changing routes`);
  for (const url of guarded) {
    const res = await browser.post(url, { clientId: 'x', id: 'x' });
    t.equal(res.statusCode, 403, `${url} refuses a viewer`);
  }
  t.notMatch((await browser.get('/console/logs')).body, 'href="/console/credentials"', 'no Credentials link for viewers');
});
