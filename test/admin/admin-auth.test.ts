import t from 'tap';
import { sql } from 'kysely';
import { revokeToken } from '../../src/admin/admin-token-service.js';
import { createSecretToken } from '../../src/oauth/credential-service.js';
import { parseAdminToken } from '../../src/admin/token-secret.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestAdmin } from '../helpers/admin.js';
import { createTestTenant } from '../helpers/tenants.js';
import { setTenantEnabled } from '../../src/tenants/service.js';
import { cliActor } from '../../src/audit/request-actor.js';

const url = '/admin/v1/provisioning-logs';

t.test('an admin route without a credential answers 401 with a Bearer challenge, in plain JSON', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url });
  t.equal(res.statusCode, 401);
  t.equal(res.headers['www-authenticate'], 'Bearer realm="admin"');
  t.equal(res.json().error, 'unauthorized');
  t.type(res.json().message, 'string');
});

t.test('a valid admin token is accepted', async (t) => {
  const testApp = await buildTestApp(t);
  const admin = await createTestAdmin(testApp);
  const res = await testApp.app.inject({ method: 'GET', url, headers: admin.headers });
  t.equal(res.statusCode, 200);
});

t.test('an admin token with a wrong secret is refused with invalid_token', async (t) => {
  const testApp = await buildTestApp(t);
  const admin = await createTestAdmin(testApp);
  const tampered = admin.token.slice(0, -4) + (admin.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const res = await testApp.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tampered}` } });
  t.equal(res.statusCode, 401);
  t.match(res.headers['www-authenticate'], /error="invalid_token"/);
});

t.test("a SCIM access token from the token endpoint is refused on the admin API", async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  t.equal((await testApp.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: tenant.scimHeaders })).statusCode, 200, 'it works for SCIM');
  const res = await testApp.app.inject({ method: 'GET', url, headers: tenant.scimHeaders });
  t.equal(res.statusCode, 401);
  t.match(res.headers['www-authenticate'], /error="invalid_token"/);
});

t.test('a SCIM secret token is refused on the admin API', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const { token } = await createSecretToken({ db: testApp.deps.database.db, clock: testApp.deps.clock }, tenant.tenantId, cliActor('test'));
  const headers = { authorization: `Bearer ${token}` };
  t.equal((await testApp.app.inject({ method: 'GET', url: '/scim/v2/Users', headers })).statusCode, 200, 'it works for SCIM');
  t.equal((await testApp.app.inject({ method: 'GET', url, headers })).statusCode, 401);
});

t.test('an admin token is not a SCIM credential', async (t) => {
  const testApp = await buildTestApp(t);
  const admin = await createTestAdmin(testApp);
  const res = await testApp.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: admin.headers });
  t.equal(res.statusCode, 401);
});

t.test('a principal that is not an admin (a SCIM credential) is forbidden on admin routes', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const { buildApp } = await import('../../src/app.js');
  const app = await buildApp(testApp.deps, {
    adminAuthenticator: async () => ({ kind: 'scim', tenantId: tenant.tenantId, clientId: 'c', credential: 'secret-token' }) as never,
  });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url });
  t.equal(res.statusCode, 403);
  t.equal(res.json().error, 'forbidden');
});

t.test('a revoked admin token stops working at once', async (t) => {
  const testApp = await buildTestApp(t);
  const admin = await createTestAdmin(testApp);
  const before = await testApp.app.inject({ method: 'GET', url, headers: admin.headers });
  t.equal(before.statusCode, 200);
  const id = parseAdminToken(admin.token)?.id ?? '';
  t.ok(await revokeToken({ db: testApp.deps.database.db, clock: testApp.deps.clock }, id, cliActor('test')));
  const after = await testApp.app.inject({ method: 'GET', url, headers: admin.headers });
  t.equal(after.statusCode, 401);
});

t.test("a disabled tenant's admin tokens stop working at once, and work again when it is enabled", async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, tenant.tenantId);
  const serviceWide = await createTestAdmin(testApp);
  t.equal((await testApp.app.inject({ method: 'GET', url, headers: admin.headers })).statusCode, 200);
  await setTenantEnabled({ db: testApp.deps.database.db, clock: testApp.deps.clock }, tenant.tenantId, false, cliActor('test'));
  const after = await testApp.app.inject({ method: 'GET', url, headers: admin.headers });
  t.equal(after.statusCode, 401);
  t.match(after.headers['www-authenticate'], /error="invalid_token"/);
  t.equal((await testApp.app.inject({ method: 'GET', url, headers: serviceWide.headers })).statusCode, 200, 'a service-wide token is no tenant\'s');
  await setTenantEnabled({ db: testApp.deps.database.db, clock: testApp.deps.clock }, tenant.tenantId, true, cliActor('test'));
  t.equal((await testApp.app.inject({ method: 'GET', url, headers: admin.headers })).statusCode, 200);
});

t.test('an admin token is stored only as a hash and never logged', async (t) => {
  const testApp = await buildTestApp(t);
  const admin = await createTestAdmin(testApp);
  await testApp.app.inject({ method: 'GET', url, headers: admin.headers });
  await testApp.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${admin.token}x` } });
  const secret = admin.token.slice(-43);
  t.equal(secret.length, 43);
  const rows = await sql<Record<string, unknown>>`select * from admin_tokens`.execute(testApp.deps.database.db);
  const dump = JSON.stringify(rows.rows);
  t.notOk(dump.includes(secret), 'the secret is in no column');
  t.notOk(testApp.logLines.some((l) => l.includes(secret)), 'the secret is in no log line');
});
