import { decodeJwt, decodeProtectedHeader } from 'jose';
import t from 'tap';
import { createClient, revokeOAuthClient, rotateClientSecret } from '../../src/oauth/credential-service.js';
import { createTenant, setTenantEnabled } from '../../src/tenants/service.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { cliActor } from '../../src/audit/request-actor.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** RFC 6749 §2.3.1: id and secret are each form-url-encoded, then joined by ':' and base64-encoded. */
const formEncode = (text: string, forceEncode = ''): string =>
  [...text].map((c) => (forceEncode.includes(c) ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(c).replace(/%20/g, '+'))).join('');
const basic = (id: string, secret: string, forceEncode = '') =>
  `Basic ${Buffer.from(`${formEncode(id, forceEncode)}:${formEncode(secret, forceEncode)}`).toString('base64')}`;

async function newClient(testApp: TestApp) {
  const deps = { db: testApp.deps.database.db, clock: testApp.deps.clock };
  const tenant = await createTenant(deps, `tenant-${Math.random().toString(36).slice(2)}`, cliActor('test'));
  const client = await createClient(deps, tenant.id, cliActor('test'));
  return { tenantId: tenant.id, ...client, deps };
}

function tokenRequest(testApp: TestApp, payload: Record<string, string> | string, headers: Record<string, string> = {}) {
  return testApp.app.inject({
    method: 'POST',
    url: '/oauth2/token',
    payload: typeof payload === 'string' ? payload : new URLSearchParams(payload).toString(),
    headers: { ...FORM, ...headers },
  });
}

t.test('token endpoint', async (t) => {
  const testApp = await buildTestApp(t);

  t.test('client_secret_post with the right secret gets a Bearer access token that is not cached', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    t.equal(res.statusCode, 200);
    t.equal(res.headers['cache-control'], 'no-store');
    t.equal(res.headers['pragma'], 'no-cache');
    const body = res.json();
    t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    t.equal(body.token_type, 'Bearer');
    t.equal(body.expires_in, 3600);
    t.equal(body.scope, 'scim');
  });

  t.test('client_secret_basic with the right secret gets an access token', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials' }, { authorization: basic(c.clientId, c.clientSecret) });
    t.equal(res.statusCode, 200);
    t.equal(res.json().token_type, 'Bearer');
  });

  t.test('Basic credentials are form-url-decoded before they are checked (RFC 6749 §2.3.1)', async (t) => {
    const c = await newClient(testApp);
    const authorization = basic(c.clientId, c.clientSecret, '_-');
    t.match(Buffer.from(authorization.slice(6), 'base64').toString(), /%5F/);
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials' }, { authorization });
    t.equal(res.statusCode, 200);
  });

  t.test('a JSON body is accepted too', async (t) => {
    const c = await newClient(testApp);
    const res = await testApp.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      payload: { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret },
    });
    t.equal(res.statusCode, 200);
  });

  t.test('the access token is an ES256 JWT naming the issuer, SCIM audience, client, tenant, expiry and id', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: 'scim' });
    const token = res.json().access_token as string;
    const header = decodeProtectedHeader(token);
    t.equal(header.alg, 'ES256');
    t.equal(header.typ, 'at+jwt');
    t.type(header.kid, 'string');
    const claims = decodeJwt(token);
    t.equal(claims.iss, 'https://provisioning.test');
    t.equal(claims.aud, 'https://provisioning.test/scim/v2');
    t.equal(claims.sub, c.clientId);
    t.equal(claims['tenant_id'], c.tenantId);
    t.equal(claims.iat, Math.floor(testApp.clock.now().getTime() / 1000));
    t.equal(claims.exp, (claims.iat ?? 0) + 3600);
    t.type(claims.jti, 'string');
  });

  t.test('a wrong secret sent in the body is invalid_client 401 without a Basic challenge', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: `${c.clientSecret}x` });
    t.equal(res.statusCode, 401);
    t.same(res.json(), { error: 'invalid_client', error_description: 'Client authentication failed.' });
    t.equal(res.headers['www-authenticate'], undefined);
    t.equal(res.headers['cache-control'], 'no-store');
  });

  t.test('a wrong secret sent with Basic is invalid_client 401 with WWW-Authenticate: Basic', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials' }, { authorization: basic(c.clientId, 'wrong') });
    t.equal(res.statusCode, 401);
    t.equal(res.json().error, 'invalid_client');
    t.match(res.headers['www-authenticate'], /^Basic realm="portal-provisioning"/);
  });

  t.test('an unknown client is invalid_client, answered exactly like a wrong secret', async (t) => {
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: 'ppc_nobody', client_secret: 'ppcs_nothing' });
    t.equal(res.statusCode, 401);
    t.same(res.json(), { error: 'invalid_client', error_description: 'Client authentication failed.' });
  });

  t.test('a request with no client credentials is invalid_client with a Basic challenge', async (t) => {
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials' });
    t.equal(res.statusCode, 401);
    t.equal(res.json().error, 'invalid_client');
    t.match(res.headers['www-authenticate'], /^Basic /);
  });

  t.test('an Authorization header that is not Basic is invalid_client with a Basic challenge', async (t) => {
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials' }, { authorization: 'Bearer abc' });
    t.equal(res.statusCode, 401);
    t.equal(res.json().error, 'invalid_client');
    t.match(res.headers['www-authenticate'], /^Basic /);
  });

  t.test('using Basic and client_secret in the body together is invalid_request', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(
      testApp,
      { grant_type: 'client_credentials', client_secret: c.clientSecret },
      { authorization: basic(c.clientId, c.clientSecret) },
    );
    t.equal(res.statusCode, 400);
    t.equal(res.json().error, 'invalid_request');
  });

  t.test('a body client_id that differs from the Basic one is invalid_request', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: 'ppc_other' }, { authorization: basic(c.clientId, c.clientSecret) });
    t.equal(res.statusCode, 400);
    t.equal(res.json().error, 'invalid_request');
  });

  t.test('a missing grant_type is invalid_request 400', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { client_id: c.clientId, client_secret: c.clientSecret });
    t.equal(res.statusCode, 400);
    t.equal(res.json().error, 'invalid_request');
    t.equal(res.headers['cache-control'], 'no-store');
  });

  t.test('grant_type=password is unsupported_grant_type 400', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret });
    t.equal(res.statusCode, 400);
    t.equal(res.json().error, 'unsupported_grant_type');
  });

  t.test('a scope other than scim is invalid_scope 400', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: 'scim admin' });
    t.equal(res.statusCode, 400);
    t.equal(res.json().error, 'invalid_scope');
  });

  t.test('invalid_scope is not revealed to a client that failed authentication', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: 'nope', scope: 'admin' });
    t.equal(res.statusCode, 401);
  });

  t.test('a repeated parameter is invalid_request (RFC 6749 §3.2)', async (t) => {
    const c = await newClient(testApp);
    const res = await tokenRequest(testApp, `grant_type=client_credentials&grant_type=client_credentials&client_id=${c.clientId}&client_secret=${c.clientSecret}`);
    t.equal(res.statusCode, 400);
    t.equal(res.json().error, 'invalid_request');
  });

  t.test('a text/plain body is answered 415 in the OAuth2 error shape', async (t) => {
    const res = await testApp.app.inject({ method: 'POST', url: '/oauth2/token', payload: 'grant_type=client_credentials', headers: { 'content-type': 'text/plain' } });
    t.equal(res.statusCode, 415);
    t.equal(res.json().error, 'invalid_request');
    t.match(res.json().error_description, /x-www-form-urlencoded/);
    t.equal(res.headers['cache-control'], 'no-store');
  });

  t.test('malformed JSON is invalid_request 400 in the OAuth2 error shape', async (t) => {
    const res = await testApp.app.inject({ method: 'POST', url: '/oauth2/token', payload: '{"grant_type":', headers: { 'content-type': 'application/json' } });
    t.equal(res.statusCode, 400);
    t.equal(res.json().error, 'invalid_request');
  });

  t.test('an oversized body is answered 413 in the OAuth2 error shape', async (t) => {
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: 'x'.repeat(20_000) });
    t.equal(res.statusCode, 413);
    t.equal(res.json().error, 'invalid_request');
  });

  t.test('GET on the token endpoint is answered in the OAuth2 error shape', async (t) => {
    const res = await testApp.app.inject({ method: 'GET', url: '/oauth2/token' });
    t.equal(res.statusCode, 404);
    t.equal(res.json().error, 'invalid_request');
  });

  t.test('a revoked client gets no token', async (t) => {
    const c = await newClient(testApp);
    await revokeOAuthClient(c.deps, c.tenantId, c.clientId, cliActor('test'));
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    t.equal(res.statusCode, 401);
    t.equal(res.json().error, 'invalid_client');
  });

  t.test("a disabled tenant's client gets no token", async (t) => {
    const c = await newClient(testApp);
    await setTenantEnabled(c.deps, c.tenantId, false, cliActor('test'));
    const res = await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    t.equal(res.statusCode, 401);
  });

  t.test('after a rotation the old secret works until the chosen time and the new one works at once', async (t) => {
    const c = await newClient(testApp);
    const until = new Date(testApp.clock.now().getTime() + 60 * 60_000);
    const { clientSecret: fresh } = await rotateClientSecret(c.deps, c.tenantId, c.clientId, until, cliActor('test'));
    const ask = (secret: string) => tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: secret });
    t.equal((await ask(c.clientSecret)).statusCode, 200, 'old secret inside the overlap');
    t.equal((await ask(fresh)).statusCode, 200, 'new secret');
    testApp.clock.advance(60 * 60_000);
    t.equal((await ask(c.clientSecret)).statusCode, 401, 'old secret after the overlap');
    t.equal((await ask(fresh)).statusCode, 200, 'new secret after the overlap');
  });

  t.test('a rotation with no overlap ends the old secret at once', async (t) => {
    const c = await newClient(testApp);
    const { clientSecret: fresh } = await rotateClientSecret(c.deps, c.tenantId, c.clientId, testApp.clock.now(), cliActor('test'));
    const ask = (secret: string) => tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: secret });
    t.equal((await ask(c.clientSecret)).statusCode, 401);
    t.equal((await ask(fresh)).statusCode, 200);
  });
});

t.test('discovery documents', async (t) => {
  const testApp = await buildTestApp(t);

  t.test('the RFC 8414 metadata names the token endpoint, JWKS and supported methods', async (t) => {
    const res = await testApp.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    t.equal(res.statusCode, 200);
    t.match(res.json(), {
      issuer: 'https://provisioning.test',
      token_endpoint: 'https://provisioning.test/oauth2/token',
      jwks_uri: 'https://provisioning.test/.well-known/jwks.json',
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
  });

  t.test('the JWKS publishes the public key that signs tokens and no private part', async (t) => {
    const c = await newClient(testApp);
    const token = (await tokenRequest(testApp, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret })).json().access_token as string;
    const res = await testApp.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    t.equal(res.statusCode, 200);
    const keys = res.json().keys as Array<Record<string, unknown>>;
    t.equal(keys.length, 1);
    t.equal(keys[0]?.['kid'], decodeProtectedHeader(token).kid);
    t.equal(keys[0]?.['kty'], 'EC');
    t.equal(keys[0]?.['d'], undefined);
  });
});

t.test('rate limits', async (t) => {
  // Per-client limits count failures only, per client and address: test/oauth/token-lockout.test.ts.
  t.test('an address over its per-minute limit gets 429 with Retry-After whatever client it names', async (t) => {
    const testApp = await buildTestApp(t, { env: { TOKEN_RATE_LIMIT_PER_ADDRESS: '2' } });
    const ask = (id: string) => tokenRequest(testApp, { grant_type: 'client_credentials', client_id: id, client_secret: 'x' });
    t.equal((await ask('a')).statusCode, 401);
    t.equal((await ask('b')).statusCode, 401);
    const res = await ask('c');
    t.equal(res.statusCode, 429);
    t.equal(res.json().error, 'temporarily_unavailable');
    t.match(res.headers['retry-after'], /^\d+$/);
  });
});
