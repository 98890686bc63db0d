import { randomUUID } from 'node:crypto';
import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import { startFakeOidcProvider } from '../fakes/oidc-provider.js';
import { buildTestApp } from '../helpers/app.js';
import { chainOf, cliAs } from '../helpers/audit.js';
import { testClock } from '../helpers/clock.js';
import { ConsoleBrowser, oidcSignIn, signInWithToken } from '../helpers/console.js';
import { createTestTenant } from '../helpers/tenants.js';

t.test('console sign-in with an admin token, sign-out, and a refused token are recorded with method and subject', async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const tenant = await createTestTenant(testApp);
  const admin = (await cliAs(testApp.deps, 'alice', 'admin-token', 'create', '--tenant', tenant.tenantId, '--json')).json();
  const tokenId = String(admin['id']);
  const browser = new ConsoleBrowser(testApp.app);
  t.equal((await signInWithToken(browser, String(admin['token']))).statusCode, 303);
  await browser.get('/console/logs');
  t.equal((await browser.post('/console/sign-out')).statusCode, 303);
  const signIns = (await chainOf(db, tenant.tenantId)).filter((e) => e.action.startsWith('console.'));
  const actor = { type: 'console', id: tokenId, label: `admin-token:${tokenId}`, sourceIp: '127.0.0.1', userAgent: 'lightMyRequest' };
  t.match(signIns, [
    { action: 'console.sign_in', outcome: 'success', actor, detail: { method: 'token' } },
    { action: 'console.sign_out', outcome: 'success', actor, detail: { method: 'token' } },
  ]);

  const wrong = `ppadm_${randomUUID().replaceAll('-', '')}_not-the-secret-at-all-0123456789`;
  const stranger = new ConsoleBrowser(testApp.app);
  t.equal((await signInWithToken(stranger, wrong)).statusCode, 401);
  const refused = (await chainOf(db, SERVICE_WIDE)).filter((e) => e.action === 'console.sign_in');
  t.match(refused.at(-1), { outcome: 'refused', actor: { type: 'anonymous', sourceIp: '127.0.0.1' }, detail: { method: 'token', reason: /not valid|unknown/ } });
  t.notOk(JSON.stringify(refused).includes(wrong), 'the presented token is not recorded');
});

t.test('console sign-in with OIDC records the subject and e-mail; a person not on the allow-list is refused and recorded', async (t) => {
  const clock = testClock();
  const provider = await startFakeOidcProvider({ now: () => clock.now() });
  t.teardown(() => provider.close());
  const tenantName = `Contoso ${randomUUID()}`;
  const testApp = await buildTestApp(t, {
    clock,
    env: { OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: provider.clientId, OIDC_CLIENT_SECRET: provider.clientSecret, OIDC_ALLOW_LIST: `alice@contoso.example=${tenantName}:admin` },
  });
  const db = testApp.deps.database.db;
  const tenant = await createTestTenant(testApp, tenantName);

  const browser = new ConsoleBrowser(testApp.app);
  provider.signInAs({ sub: 'alice-sub-1', email: 'alice@contoso.example', email_verified: true });
  t.equal((await oidcSignIn(browser)).statusCode, 303);
  const signedIn = (await chainOf(db, tenant.tenantId)).filter((e) => e.action === 'console.sign_in');
  t.match(signedIn, [{ outcome: 'success', actor: { type: 'oidc', id: 'alice-sub-1', label: 'alice@contoso.example' }, detail: { method: 'oidc' } }]);

  const other = new ConsoleBrowser(testApp.app);
  provider.signInAs({ sub: 'eve-sub-9', email: 'eve@fabrikam.example', email_verified: true });
  t.equal((await oidcSignIn(other)).statusCode, 403);
  const refused = (await chainOf(db, SERVICE_WIDE)).filter((e) => e.action === 'console.sign_in' && e.outcome === 'refused');
  t.match(refused.at(-1), { actor: { type: 'oidc', id: 'eve-sub-9', label: 'eve@fabrikam.example' }, detail: { method: 'oidc', reason: /not mapped/ } });
});
