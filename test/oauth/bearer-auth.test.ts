import { SignJWT, decodeProtectedHeader, generateKeyPair } from 'jose';
import type { FastifyRequest } from 'fastify';
import t, { type Test } from 'tap';
import { HttpFailure } from '../../src/http/errors.js';
import type { ScimPrincipal } from '../../src/http/principal.js';
import { signAccessToken } from '../../src/oauth/access-token.js';
import { createAuth, type Auth } from '../../src/oauth/auth.js';
import { createSecretToken, revokeOAuthClient, revokeTenantSecretToken } from '../../src/oauth/credential-service.js';
import { SigningKeyRing } from '../../src/oauth/key-service.js';
import { setTenantEnabled } from '../../src/tenants/service.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { createTestTenant } from '../helpers/tenants.js';
import { cliActor } from '../../src/audit/request-actor.js';

const ISSUER = 'https://provisioning.test';
const AUDIENCE = 'https://provisioning.test/scim/v2';

type Outcome = { principal: ScimPrincipal } | { status: number; challenge: string; detail: string };

async function authenticate(auth: Auth, authorization: string | undefined, url = '/scim/v2/Users'): Promise<Outcome> {
  const request = { headers: authorization === undefined ? {} : { authorization }, url, protocol: 'https', host: 'provisioning.test' };
  try {
    return { principal: await auth.scimAuthenticator(request as unknown as FastifyRequest) };
  } catch (err) {
    if (!(err instanceof HttpFailure)) throw err;
    return { status: err.failure.status, challenge: err.failure.headers?.['www-authenticate'] ?? '', detail: err.failure.detail };
  }
}

function isRefused(t: Test, outcome: Outcome, detail?: RegExp): void {
  if ('principal' in outcome) {
    t.fail('the credential was accepted');
    return;
  }
  t.equal(outcome.status, 401);
  t.match(outcome.challenge, /^Bearer realm="portal-provisioning", error="invalid_token"/);
  if (detail) t.match(outcome.detail, detail);
}

async function newToken(testApp: TestApp, clientId: string, clientSecret: string): Promise<string> {
  const res = await testApp.app.inject({
    method: 'POST',
    url: '/oauth2/token',
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  return res.json().access_token as string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

t.test('SCIM bearer authentication', async (t) => {
  const testApp = await buildTestApp(t);
  const auth = createAuth(testApp.deps);
  const creds = { db: testApp.deps.database.db, clock: testApp.deps.clock };

  t.test("an access token from the token endpoint authenticates as its client's tenant", async (t) => {
    const tenant = await createTestTenant(testApp);
    const outcome = await authenticate(auth, `Bearer ${tenant.accessToken}`);
    t.same(outcome, { principal: { kind: 'scim', tenantId: tenant.tenantId, clientId: tenant.clientId, credential: 'oauth-client' } });
  });

  t.test('a request without credentials gets a bare Bearer challenge (RFC 6750 §3.1)', async (t) => {
    const outcome = await authenticate(auth, undefined);
    t.same(outcome, { status: 401, challenge: 'Bearer realm="portal-provisioning"', detail: 'A bearer token is required.' });
  });

  t.test('a malformed Authorization header is invalid_token', async (t) => {
    isRefused(t, await authenticate(auth, 'Basic dXNlcjpwYXNz'));
    isRefused(t, await authenticate(auth, 'Bearer'));
    isRefused(t, await authenticate(auth, 'Bearer not a token'));
    isRefused(t, await authenticate(auth, 'Bearer abc.def.ghi'), /malformed/);
  });

  t.test('a token is accepted until it expires and refused after', async (t) => {
    const tenant = await createTestTenant(testApp);
    const issuedAt = testApp.clock.now().getTime();
    testApp.clock.set(new Date(issuedAt + 3599_000));
    t.ok('principal' in (await authenticate(auth, `Bearer ${tenant.accessToken}`)), 'one second before expiry');
    testApp.clock.set(new Date(issuedAt + 3600_000 + 31_000));
    isRefused(t, await authenticate(auth, `Bearer ${tenant.accessToken}`), /expired/);
    testApp.clock.set(new Date(issuedAt));
  });

  t.test('a token with a tampered signature is refused', async (t) => {
    const tenant = await createTestTenant(testApp);
    const [h, p, s = ''] = tenant.accessToken.split('.');
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    isRefused(t, await authenticate(auth, `Bearer ${h}.${p}.${flipped}`), /signature/);
  });

  t.test('a token whose tenant claim was changed is refused', async (t) => {
    const a = await createTestTenant(testApp);
    const b = await createTestTenant(testApp);
    const [h, p, s] = a.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>;
    isRefused(t, await authenticate(auth, `Bearer ${h}.${b64({ ...claims, tenant_id: b.tenantId })}.${s}`), /signature/);
  });

  t.test('an unsigned token (alg none) is refused', async (t) => {
    const tenant = await createTestTenant(testApp);
    const header = decodeProtectedHeader(tenant.accessToken);
    const payload = tenant.accessToken.split('.')[1];
    isRefused(t, await authenticate(auth, `Bearer ${b64({ ...header, alg: 'none' })}.${payload}.`));
  });

  t.test('an HS256 token (algorithm confusion) is refused', async (t) => {
    const tenant = await createTestTenant(testApp);
    const { kid } = decodeProtectedHeader(tenant.accessToken);
    const forged = await new SignJWT({ tenant_id: tenant.tenantId, scope: 'scim' })
      .setProtectedHeader({ alg: 'HS256', kid: kid ?? '', typ: 'at+jwt' })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(tenant.clientId).setIssuedAt().setExpirationTime('1h').setJti('x')
      .sign(new TextEncoder().encode('a-shared-secret-an-attacker-chose-for-hs256'));
    isRefused(t, await authenticate(auth, `Bearer ${forged}`), /ES256/);
  });

  t.test('a token signed by a key that is not ours (unknown kid) is refused', async (t) => {
    const tenant = await createTestTenant(testApp);
    const { privateKey } = await generateKeyPair('ES256');
    const now = testApp.clock.now();
    const forged = await signAccessToken({ kid: 'not-our-key', privateKey }, {
      issuer: ISSUER, audience: AUDIENCE, clientId: tenant.clientId, tenantId: tenant.tenantId, scope: 'scim', issuedAt: now, ttlSeconds: 3600, jti: 'x',
    });
    isRefused(t, await authenticate(auth, `Bearer ${forged}`), /not signed by a key of this server/);
  });

  t.test('a token signed by another key under our kid is refused', async (t) => {
    const tenant = await createTestTenant(testApp);
    const { kid } = decodeProtectedHeader(tenant.accessToken);
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await signAccessToken({ kid: kid ?? '', privateKey }, {
      issuer: ISSUER, audience: AUDIENCE, clientId: tenant.clientId, tenantId: tenant.tenantId, scope: 'scim', issuedAt: testApp.clock.now(), ttlSeconds: 3600, jti: 'x',
    });
    isRefused(t, await authenticate(auth, `Bearer ${forged}`), /signature/);
  });

  t.test('a token for another audience, even signed by our key, is refused', async (t) => {
    const tenant = await createTestTenant(testApp);
    const grant = { issuer: ISSUER, clientId: tenant.clientId, tenantId: tenant.tenantId, scope: 'scim', issuedAt: testApp.clock.now(), ttlSeconds: 3600, jti: 'x' };
    const wrongAud = await signAccessToken(await auth.keys.signingKey(), { ...grant, audience: 'https://other.example/scim/v2' });
    isRefused(t, await authenticate(auth, `Bearer ${wrongAud}`), /"aud"/);
    const wrongIss = await signAccessToken(await auth.keys.signingKey(), { ...grant, audience: AUDIENCE, issuer: 'https://other.example' });
    isRefused(t, await authenticate(auth, `Bearer ${wrongIss}`), /"iss"/);
  });

  t.test("a revoked client's token stops working within CREDENTIAL_RECHECK_SECONDS", async (t) => {
    const tenant = await createTestTenant(testApp);
    t.ok('principal' in (await authenticate(auth, `Bearer ${tenant.accessToken}`)));
    await revokeOAuthClient(creds, tenant.tenantId, tenant.clientId, cliActor('test'));
    testApp.clock.advance(5_000);
    isRefused(t, await authenticate(auth, `Bearer ${tenant.accessToken}`), /revoked/);
  });

  t.test("a disabled tenant's token stops working within CREDENTIAL_RECHECK_SECONDS", async (t) => {
    const tenant = await createTestTenant(testApp);
    t.ok('principal' in (await authenticate(auth, `Bearer ${tenant.accessToken}`)));
    await setTenantEnabled(creds, tenant.tenantId, false, cliActor('test'));
    testApp.clock.advance(5_000);
    isRefused(t, await authenticate(auth, `Bearer ${tenant.accessToken}`), /revoked or its tenant disabled/);
  });

  t.test('a secret token authenticates as its tenant until it is revoked', async (t) => {
    const tenant = await createTestTenant(testApp);
    const { id, token } = await createSecretToken(creds, tenant.tenantId, cliActor('test'));
    t.same(await authenticate(auth, `Bearer ${token}`), {
      principal: { kind: 'scim', tenantId: tenant.tenantId, clientId: `secret-token:${id}`, credential: 'secret-token' },
    });
    await revokeTenantSecretToken(creds, tenant.tenantId, id, cliActor('test'));
    testApp.clock.advance(5_000);
    isRefused(t, await authenticate(auth, `Bearer ${token}`), /revoked/);
  });

  t.test("a disabled tenant's secret token stops working", async (t) => {
    const tenant = await createTestTenant(testApp);
    const { token } = await createSecretToken(creds, tenant.tenantId, cliActor('test'));
    await setTenantEnabled(creds, tenant.tenantId, false, cliActor('test'));
    isRefused(t, await authenticate(auth, `Bearer ${token}`));
  });

  t.test('an unknown secret token is refused', async (t) => {
    isRefused(t, await authenticate(auth, 'Bearer ppst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), /not known/);
  });

  t.test('the per-tenant Tenant URL accepts its own tenant and refuses another with 401', async (t) => {
    const a = await createTestTenant(testApp);
    const b = await createTestTenant(testApp);
    t.ok('principal' in (await authenticate(auth, `Bearer ${a.accessToken}`, `/scim/v2/tenants/${a.tenantId}/Users`)));
    isRefused(t, await authenticate(auth, `Bearer ${a.accessToken}`, `/scim/v2/tenants/${b.tenantId}/Users?filter=x`), /tenant in the URL/);
  });

  t.test('after a key rotation old tokens still work and new tokens are signed by the new key', async (t) => {
    const tenant = await createTestTenant(testApp);
    const oldKid = decodeProtectedHeader(tenant.accessToken).kid;
    // As `keys rotate` does from another process: its own key ring on the same database.
    const cliRing = new SigningKeyRing({ db: testApp.deps.database.db, clock: testApp.clock, config: testApp.deps.config, log: testApp.deps.log });
    const rotated = await cliRing.rotate(cliActor('test'));
    t.equal(rotated.retiredKid, oldKid);
    testApp.clock.advance(5_000);
    const fresh = await newToken(testApp, tenant.clientId, tenant.clientSecret);
    t.equal(decodeProtectedHeader(fresh).kid, rotated.kid, 'new tokens carry the new kid');
    t.ok('principal' in (await authenticate(auth, `Bearer ${tenant.accessToken}`)), 'old token still accepted');
    t.ok('principal' in (await authenticate(auth, `Bearer ${fresh}`)), 'new token accepted');
    const jwks = (await testApp.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as Array<{ kid: string }>;
    t.same(jwks.map((k) => k.kid).sort(), [oldKid, rotated.kid].sort(), 'both keys published');
    // Once every token the old key signed has expired, it leaves the JWKS.
    testApp.clock.advance(3600_000 + 120_000);
    const later = (await testApp.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as Array<{ kid: string }>;
    t.same(later.map((k) => k.kid), [rotated.kid]);
  });
});
