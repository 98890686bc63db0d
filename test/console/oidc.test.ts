import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildTestApp } from '../helpers/app.js';
import { ConsoleBrowser, oidcSignIn } from '../helpers/console.js';
import { createTestTenant } from '../helpers/tenants.js';
import { startFakeOidcProvider, type FakeOidcProvider } from '../fakes/oidc-provider.js';
import { testClock } from '../helpers/clock.js';

interface TestLike {
  teardown(fn: () => unknown): void;
}

async function setup(t: TestLike, env: (p: FakeOidcProvider, tenantName: string) => Record<string, string> = (p, name) => ({ OIDC_ALLOW_LIST: `alice@contoso.example=${name}:admin; *@contoso.example=${name}:viewer` })) {
  const clock = testClock();
  const provider = await startFakeOidcProvider({ now: () => clock.now() });
  t.teardown(() => provider.close());
  const tenantName = `Contoso ${randomUUID()}`;
  const testApp = await buildTestApp(t, {
    clock,
    env: { OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: provider.clientId, OIDC_CLIENT_SECRET: provider.clientSecret, ...env(provider, tenantName) },
  });
  const tenant = await createTestTenant(testApp, tenantName);
  return { ...testApp, provider, tenant, tenantName, browser: new ConsoleBrowser(testApp.app) };
}

t.test('a person on the allow-list signs in with OIDC (code flow, PKCE, nonce) and lands in their tenant', async (t) => {
  const { browser, provider, tenantName } = await setup(t);
  provider.signInAs({ sub: 'alice-1', email: 'Alice@Contoso.example', email_verified: true, name: 'Alice' });
  const res = await oidcSignIn(browser);
  t.equal(res.statusCode, 303, res.body);
  t.equal(res.headers.location, '/console/logs');
  const q = provider.authorizeRequests[0];
  t.equal(q?.get('code_challenge_method'), 'S256');
  t.match(q?.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  t.match(q?.get('nonce'), /^[A-Za-z0-9_-]{43}$/);
  t.match(q?.get('scope'), /openid/);
  t.equal(q?.get('redirect_uri'), 'https://provisioning.test/console/sign-in/oidc/callback');
  const page = await browser.get('/console/logs');
  t.equal(page.statusCode, 200);
  t.match(page.body, 'alice@contoso.example');
  t.match(page.body, '(<span>admin</span>)');
  t.match(page.body, tenantName);
});

t.test('a domain entry makes a viewer', async (t) => {
  const { browser, provider } = await setup(t, (p, name) => ({
    OIDC_ALLOW_LIST: `*@contoso.example=${name}:viewer`,
    OIDC_TRUSTED_EMAIL_ISSUERS: p.issuer,
  }));
  provider.signInAs({ sub: 'bob-1', preferred_username: 'bob@contoso.example' });
  t.equal((await oidcSignIn(browser)).statusCode, 303);
  t.match((await browser.get('/console/logs')).body, '(<span>viewer</span>)');
  t.equal((await browser.get('/console/credentials')).statusCode, 403);
});

t.test('an e-mail the provider does not say is verified is not matched against the allow-list', async (t) => {
  const { browser, provider } = await setup(t);
  provider.signInAs({ sub: 'mallory-1', email: 'alice@contoso.example' });
  const res = await oidcSignIn(browser);
  t.equal(res.statusCode, 403);
  t.match(res.body, 'You signed in as <strong>sub:mallory-1</strong>');
  t.match(res.body, 'does not vouch for the e-mail address');
  t.equal((await browser.get('/console/logs')).statusCode, 303, 'no session');
  provider.signInAs({ sub: 'mallory-1', email: 'alice@contoso.example', email_verified: false });
  t.equal((await oidcSignIn(new ConsoleBrowser(browser.app))).statusCode, 403, 'email_verified false neither');
});

t.test('a verified e-mail is matched against the allow-list', async (t) => {
  const { browser, provider } = await setup(t);
  provider.signInAs({ sub: 'alice-1', email: 'alice@contoso.example', email_verified: true });
  t.equal((await oidcSignIn(browser)).headers.location, '/console/logs');
  t.match((await browser.get('/console/logs')).body, '(<span>admin</span>)');
});

t.test('an issuer in OIDC_TRUSTED_EMAIL_ISSUERS has its unverified e-mail and preferred_username matched, and only it', async (t) => {
  const untrusted = await setup(t, (_p, name) => ({ OIDC_ALLOW_LIST: `alice@contoso.example=${name}:admin` }));
  untrusted.provider.signInAs({ sub: 'alice-1', preferred_username: 'alice@contoso.example' });
  t.equal((await oidcSignIn(untrusted.browser)).statusCode, 403, 'the same claims from an issuer not listed');
  const { app, browser, provider } = await setup(t, (p, name) => ({ OIDC_ALLOW_LIST: `alice@contoso.example=${name}:admin`, OIDC_TRUSTED_EMAIL_ISSUERS: `${p.issuer}/` }));
  provider.signInAs({ sub: 'alice-1', email: 'alice@contoso.example' });
  t.equal((await oidcSignIn(browser)).headers.location, '/console/logs');
  provider.signInAs({ sub: 'alice-1', preferred_username: 'Alice@contoso.example' });
  t.equal((await oidcSignIn(new ConsoleBrowser(app))).headers.location, '/console/logs');
});

t.test('an oid entry matches without any e-mail', async (t) => {
  const { browser, provider } = await setup(t, (_p, name) => ({ OIDC_ALLOW_LIST: `oid:00000000-aaaa-bbbb-cccc-000000000001=${name}:viewer` }));
  provider.signInAs({ sub: 'pairwise-sub', oid: '00000000-AAAA-bbbb-cccc-000000000001', tid: 'dir-1' });
  t.equal((await oidcSignIn(browser)).headers.location, '/console/logs');
  t.match((await browser.get('/console/logs')).body, 'oid:00000000-aaaa-bbbb-cccc-000000000001');
});

t.test('a person mapped to no tenant is refused with a page saying so', async (t) => {
  const { browser, provider } = await setup(t);
  provider.signInAs({ sub: 'eve-1', email: 'eve@elsewhere.example', email_verified: true });
  const res = await oidcSignIn(browser);
  t.equal(res.statusCode, 403);
  t.match(res.body, 'You signed in as <strong>eve@elsewhere.example</strong>. Your account is not mapped to any tenant');
  t.equal((await browser.get('/console/logs')).statusCode, 303, 'no session');
});

t.test('an id_token with the wrong nonce is refused', async (t) => {
  const { browser, provider } = await setup(t);
  provider.signInAs({ sub: 'alice-1', email: 'alice@contoso.example' });
  provider.misbehave('wrong-nonce');
  const res = await oidcSignIn(browser);
  t.equal(res.statusCode, 401);
  t.match(res.body, 'nonce does not match');
  t.equal((await browser.get('/console/logs')).statusCode, 303);
});

t.test('an id_token signed by another key is refused', async (t) => {
  const { browser, provider } = await setup(t);
  provider.signInAs({ sub: 'alice-1', email: 'alice@contoso.example' });
  provider.misbehave('foreign-signature');
  const res = await oidcSignIn(browser);
  t.equal(res.statusCode, 401);
  t.match(res.body, 'signature does not verify');
});

t.test('an id_token for another audience or already expired is refused', async (t) => {
  const { browser, provider } = await setup(t);
  provider.signInAs({ sub: 'alice-1', email: 'alice@contoso.example' });
  provider.misbehave('wrong-audience');
  t.match((await oidcSignIn(browser)).body, 'aud claim');
  provider.misbehave('expired');
  t.match((await oidcSignIn(new ConsoleBrowser(browser.app))).body, 'expired');
});

t.test('a callback whose state does not match the browser is refused', async (t) => {
  const { browser, provider } = await setup(t);
  provider.signInAs({ sub: 'alice-1', email: 'alice@contoso.example' });
  const res = await oidcSignIn(browser, (cb) => cb.searchParams.set('state', 'forged'));
  t.equal(res.statusCode, 401);
  t.match(res.body, 'state does not match');
});

t.test('a callback replayed in a browser that did not start the sign-in is refused', async (t) => {
  const { app, browser, provider } = await setup(t);
  provider.signInAs({ sub: 'alice-1', email: 'alice@contoso.example' });
  const start = await browser.get('/console/sign-in/oidc');
  const authorize = await fetch(String(start.headers.location), { redirect: 'manual' });
  const callback = new URL(String(authorize.headers.get('location')));
  const stranger = new ConsoleBrowser(app);
  const res = await stranger.get(`${callback.pathname}${callback.search}`);
  t.equal(res.statusCode, 401);
});

t.test('tenant and role come from claims when the allow-list does not name the person', async (t) => {
  const { browser, provider, tenant } = await setup(t, () => ({ OIDC_TENANT_CLAIM: 'portal_tenant', OIDC_ROLE_CLAIM: 'roles' }));
  provider.signInAs({ sub: 'carol-1', email: 'carol@msp.example', portal_tenant: tenant.tenantId, roles: ['admin'] });
  t.equal((await oidcSignIn(browser)).statusCode, 303);
  const page = await browser.get('/console/credentials');
  t.equal(page.statusCode, 200);
});

t.test('a claim naming a tenant that does not exist is refused', async (t) => {
  const { browser, provider } = await setup(t, () => ({ OIDC_TENANT_CLAIM: 'portal_tenant' }));
  provider.signInAs({ sub: 'dan-1', email: 'dan@msp.example', portal_tenant: 'No Such Tenant' });
  const res = await oidcSignIn(browser);
  t.equal(res.statusCode, 403);
  t.match(res.body, 'does not exist or is disabled');
});

t.test('an unreachable provider at start leaves the service up and the sign-in page says why', async (t) => {
  const testApp = await buildTestApp(t, {
    env: { OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'c', OIDC_CLIENT_SECRET: 's', OIDC_ALLOW_LIST: 'a@b.example=X:viewer' },
  });
  const res = await new ConsoleBrowser(testApp.app).get('/console/sign-in');
  t.equal(res.statusCode, 200);
  t.match(res.body, 'OpenID Connect sign-in is configured but unavailable');
  t.equal((await testApp.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});
