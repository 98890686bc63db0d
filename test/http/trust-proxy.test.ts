import { decodeJwt } from 'jose';
import t from 'tap';
import { createClient } from '../../src/oauth/credential-service.js';
import { createTenant } from '../../src/tenants/service.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { cliActor } from '../../src/audit/request-actor.js';

/**
 * Issue 15 item 6: X-Forwarded-For is believed only from the proxies TRUST_PROXY names, so a client cannot pick
 * its own address and escape per-address limits; forwarded host headers never decide a token's iss/aud.
 */
const CLIENT = '203.0.113.9';
const PROXY = '10.1.2.3';

const tokenRequest = (testApp: TestApp, from: string, headers: Record<string, string> = {}, body: Record<string, string> = {}) =>
  testApp.app.inject({
    method: 'POST',
    url: '/oauth2/token',
    remoteAddress: from,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x', ...body }).toString(),
  });

t.test('a spoofed X-Forwarded-For from a peer that is not a listed proxy does not escape the per-address limit', async (t) => {
  const testApp = await buildTestApp(t, { env: { TRUST_PROXY: '10.0.0.0/8, 127.0.0.1', TOKEN_RATE_LIMIT_PER_ADDRESS: '2' } });
  t.equal((await tokenRequest(testApp, CLIENT, { 'x-forwarded-for': '192.0.2.1' })).statusCode, 401);
  t.equal((await tokenRequest(testApp, CLIENT, { 'x-forwarded-for': '192.0.2.2' })).statusCode, 401);
  const res = await tokenRequest(testApp, CLIENT, { 'x-forwarded-for': '192.0.2.3' });
  t.equal(res.statusCode, 429, 'the peer address is what counts');
  t.equal(res.json().error, 'temporarily_unavailable');
});

t.test('behind a listed proxy each client address has its own per-address budget', async (t) => {
  const testApp = await buildTestApp(t, { env: { TRUST_PROXY: '10.0.0.0/8', TOKEN_RATE_LIMIT_PER_ADDRESS: '1' } });
  t.equal((await tokenRequest(testApp, PROXY, { 'x-forwarded-for': '192.0.2.1' })).statusCode, 401);
  t.equal((await tokenRequest(testApp, PROXY, { 'x-forwarded-for': '192.0.2.2' })).statusCode, 401);
  t.equal((await tokenRequest(testApp, PROXY, { 'x-forwarded-for': '192.0.2.1' })).statusCode, 429);
});

t.test('a client cannot hide behind a forged hop: only the hops the listed proxies added are believed', async (t) => {
  const testApp = await buildTestApp(t, { env: { TRUST_PROXY: '10.0.0.0/8', TOKEN_RATE_LIMIT_PER_ADDRESS: '1' } });
  // The proxy appends the peer it saw (CLIENT) after whatever the client claimed.
  t.equal((await tokenRequest(testApp, PROXY, { 'x-forwarded-for': `192.0.2.50, ${CLIENT}` })).statusCode, 401);
  t.equal((await tokenRequest(testApp, PROXY, { 'x-forwarded-for': `192.0.2.51, ${CLIENT}` })).statusCode, 429);
});

t.test('without TRUST_PROXY no X-Forwarded-For is believed', async (t) => {
  const testApp = await buildTestApp(t, { env: { TOKEN_RATE_LIMIT_PER_ADDRESS: '1' } });
  t.equal((await tokenRequest(testApp, CLIENT, { 'x-forwarded-for': '192.0.2.1' })).statusCode, 401);
  t.equal((await tokenRequest(testApp, CLIENT, { 'x-forwarded-for': '192.0.2.2' })).statusCode, 429);
});

t.test('TRUST_PROXY=true, the explicit opt-in, believes every hop', async (t) => {
  const testApp = await buildTestApp(t, { env: { TRUST_PROXY: 'true', TOKEN_RATE_LIMIT_PER_ADDRESS: '1' } });
  t.equal((await tokenRequest(testApp, CLIENT, { 'x-forwarded-for': '192.0.2.1' })).statusCode, 401);
  t.equal((await tokenRequest(testApp, CLIENT, { 'x-forwarded-for': '192.0.2.2' })).statusCode, 401);
});

t.test('without PUBLIC_BASE_URL, forwarded host headers do not decide the issuer and audience of a token', async (t) => {
  // TRUST_PROXY=true is the most believing setting: even then the token names the Host the request came to.
  const testApp = await buildTestApp(t, { env: { PUBLIC_BASE_URL: '', TRUST_PROXY: 'true' } });
  const deps = { db: testApp.deps.database.db, clock: testApp.deps.clock };
  const tenant = await createTenant(deps, `tenant-${Math.random().toString(36).slice(2)}`, cliActor('test'));
  const c = await createClient(deps, tenant.id, cliActor('test'));
  const headerSets: Array<Record<string, string>> = [
    { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    { forwarded: 'host=evil.example;proto=https' },
  ];
  for (const forwarded of headerSets) {
    const res = await tokenRequest(testApp, PROXY, { host: 'scim.internal.test', ...forwarded }, { client_id: c.clientId, client_secret: c.clientSecret });
    t.equal(res.statusCode, 200);
    const claims = decodeJwt(res.json().access_token as string);
    t.equal(claims.iss, 'http://scim.internal.test');
    t.equal(claims.aud, 'http://scim.internal.test/scim/v2');
  }
  const metadata = await testApp.app.inject({
    method: 'GET',
    url: '/.well-known/oauth-authorization-server',
    headers: { host: 'scim.internal.test', 'x-forwarded-host': 'evil.example' },
  });
  t.equal(metadata.json().issuer, 'http://scim.internal.test');
});

t.test('a token is still accepted on SCIM when the request carries a forged X-Forwarded-Host', async (t) => {
  const testApp = await buildTestApp(t, { env: { PUBLIC_BASE_URL: '', TRUST_PROXY: 'true' } });
  const deps = { db: testApp.deps.database.db, clock: testApp.deps.clock };
  const tenant = await createTenant(deps, `tenant-${Math.random().toString(36).slice(2)}`, cliActor('test'));
  const c = await createClient(deps, tenant.id, cliActor('test'));
  const token = (await tokenRequest(testApp, PROXY, { host: 'scim.internal.test' }, { client_id: c.clientId, client_secret: c.clientSecret })).json()
    .access_token as string;
  const res = await testApp.app.inject({
    method: 'GET',
    url: '/scim/v2/Users',
    headers: { host: 'scim.internal.test', 'x-forwarded-host': 'evil.example', authorization: `Bearer ${token}` },
  });
  t.equal(res.statusCode, 200);
});
