import t, { type Test } from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { ENTERPRISE, ERROR, scimClient, userBody } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

const isScimError = (t: Test, res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, scimType?: string) => {
  t.equal(res.statusCode, status);
  t.match(res.headers['content-type'], /^application\/scim\+json/);
  const body = res.json() as Record<string, unknown>;
  t.same(body['schemas'], [ERROR]);
  t.equal(body['status'], String(status));
  t.equal(body['scimType'], scimType);
  t.type(body['detail'], 'string');
  t.notMatch(String(body['detail']), /\bat .*\.(ts|js):\d+/, 'no stack trace');
};

t.test('a second user with the same userName in another case is 409 uniqueness', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  await scim.create('dup@contoso.com');
  isScimError(t, await scim.request('POST', 'Users', userBody('DUP@Contoso.com')), 409, 'uniqueness');
});

t.test('the same userName in two tenants is allowed', async (t) => {
  const testApp = await buildTestApp(t);
  await scimClient(testApp.app, await createTestTenant(testApp)).create('shared@contoso.com');
  const res = await scimClient(testApp.app, await createTestTenant(testApp)).request('POST', 'Users', userBody('shared@contoso.com'));
  t.equal(res.statusCode, 201);
});

t.test('renaming a user onto a taken userName is 409 uniqueness', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  await scim.create('taken@contoso.com');
  const other = await scim.create('other@contoso.com');
  isScimError(t, await scim.patch(other.id, [{ op: 'replace', path: 'userName', value: 'TAKEN@contoso.com' }]), 409, 'uniqueness');
});

t.test('PATCH, PUT and DELETE with a stale If-Match are 412 and change nothing', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('etag@contoso.com');
  const stale = { 'if-match': 'W/"99"' };
  isScimError(t, await scim.patch(user.id, [{ op: 'replace', path: 'displayName', value: 'x' }], stale), 412);
  isScimError(t, await scim.request('PUT', `Users/${user.id}`, userBody('etag@contoso.com'), stale), 412);
  isScimError(t, await scim.request('DELETE', `Users/${user.id}`, undefined, stale), 412);
  const now = await scim.request('GET', `Users/${user.id}`);
  t.equal(now.headers['etag'], 'W/"1"');
});

t.test('a matching If-Match lets the PATCH through and the ETag moves on', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('etag-ok@contoso.com');
  const res = await scim.patch(user.id, [{ op: 'replace', path: 'displayName', value: 'x' }], { 'if-match': 'W/"1"' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['etag'], 'W/"2"');
  t.equal((res.json() as { meta: { version: string } }).meta.version, 'W/"2"');
});

t.test('GET with a current If-None-Match is 304 without a body', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('cached@contoso.com');
  const res = await scim.request('GET', `Users/${user.id}`, undefined, { 'if-none-match': 'W/"1"' });
  t.equal(res.statusCode, 304);
  t.equal(res.body, '');
  const changed = await scim.request('GET', `Users/${user.id}`, undefined, { 'if-none-match': 'W/"0"' });
  t.equal(changed.statusCode, 200);
});

t.test('an unknown or malformed user id is 404 for GET, PUT, PATCH and DELETE', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  for (const id of ['6f1d0e1c-0000-4000-8000-000000000000', 'not-a-uuid']) {
    isScimError(t, await scim.request('GET', `Users/${id}`), 404);
    isScimError(t, await scim.request('PUT', `Users/${id}`, userBody('x@contoso.com')), 404);
    isScimError(t, await scim.patch(id, [{ op: 'replace', path: 'displayName', value: 'x' }]), 404);
    isScimError(t, await scim.request('DELETE', `Users/${id}`), 404);
  }
});

t.test('another tenant\'s user is 404', async (t) => {
  const testApp = await buildTestApp(t);
  const user = await scimClient(testApp.app, await createTestTenant(testApp)).create('mine@contoso.com');
  const stranger = scimClient(testApp.app, await createTestTenant(testApp));
  isScimError(t, await stranger.request('GET', `Users/${user.id}`), 404);
  isScimError(t, await stranger.request('DELETE', `Users/${user.id}`), 404);
});

t.test('after DELETE the user is 404 for GET, PATCH and DELETE', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('gone@contoso.com');
  t.equal((await scim.request('DELETE', `Users/${user.id}`)).statusCode, 204);
  isScimError(t, await scim.request('GET', `Users/${user.id}`), 404);
  isScimError(t, await scim.patch(user.id, [{ op: 'replace', path: 'active', value: false }]), 404);
  isScimError(t, await scim.request('DELETE', `Users/${user.id}`), 404);
});

t.test('PATCH of id or meta is 400 mutability', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('ro@contoso.com');
  isScimError(t, await scim.patch(user.id, [{ op: 'replace', path: 'id', value: 'x' }]), 400, 'mutability');
  isScimError(t, await scim.patch(user.id, [{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }]), 400, 'mutability');
  isScimError(t, await scim.patch(user.id, [{ op: 'replace', value: { id: 'x' } }]), 400, 'mutability');
});

t.test('PATCH of an unknown attribute path is 400 invalidPath', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('path@contoso.com');
  isScimError(t, await scim.patch(user.id, [{ op: 'replace', path: 'shoeSize', value: 42 }]), 400, 'invalidPath');
  isScimError(t, await scim.patch(user.id, [{ op: 'replace', path: 'name.nickname', value: 'x' }]), 400, 'invalidPath');
  isScimError(t, await scim.patch(user.id, [{ op: 'replace', path: 'emails[shoe eq "x"].value', value: 'x' }]), 400, 'invalidPath');
});

t.test('PATCH remove without a path is 400 noTarget (RFC 7644 §3.5.2.2)', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('target@contoso.com', { emails: [{ type: 'work', value: 'a@contoso.com' }] });
  isScimError(t, await scim.patch(user.id, [{ op: 'remove' }]), 400, 'noTarget');
});

t.test('PATCH remove with a filter that matches nothing succeeds and changes nothing, so Entra retries are harmless', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('target2@contoso.com', { emails: [{ type: 'work', value: 'a@contoso.com' }] });
  const res = await scim.patch(user.id, [{ op: 'remove', path: 'emails[type eq "home"]' }]);
  t.equal(res.statusCode, 200);
  t.same((res.json() as { emails: unknown }).emails, [{ type: 'work', value: 'a@contoso.com' }]);
});

t.test('a create without userName, active, givenName or familyName is 400 invalidValue naming it', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const cases: [Record<string, unknown>, string][] = [
    [{ userName: undefined }, 'userName'],
    [{ active: undefined }, 'active'],
    [{ name: { familyName: 'F' } }, 'name.givenName'],
    [{ name: { givenName: 'G' } }, 'name.familyName'],
    [{ userName: 42 }, 'userName'],
  ];
  for (const [overrides, attribute] of cases) {
    const res = await scim.request('POST', 'Users', userBody('missing@contoso.com', overrides));
    isScimError(t, res, 400, 'invalidValue');
    t.match((res.json() as { detail: string }).detail, attribute);
  }
});

t.test('a PATCH that leaves a required attribute empty is 400 invalidValue and changes nothing', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('req@contoso.com');
  isScimError(t, await scim.patch(user.id, [{ op: 'remove', path: 'name.givenName' }]), 400, 'invalidValue');
  isScimError(t, await scim.patch(user.id, [{ op: 'replace', path: 'active', value: 'maybe' }]), 400, 'invalidValue');
  const res = await scim.request('GET', `Users/${user.id}`);
  t.equal((res.json() as { name: { givenName: string } }).name.givenName, 'Given');
});

t.test('a wrongly typed attribute is 400 invalidValue', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  isScimError(t, await scim.request('POST', 'Users', userBody('typed@contoso.com', { emails: [{ value: 5 }] })), 400, 'invalidValue');
  isScimError(t, await scim.request('POST', 'Users', userBody('typed@contoso.com', { [ENTERPRISE]: 'x' })), 400, 'invalidValue');
});

t.test('malformed JSON is 400 invalidSyntax', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  isScimError(t, await scim.request('POST', 'Users', '{"userName": '), 400, 'invalidSyntax');
  isScimError(t, await scim.request('POST', 'Users', '[1,2]'), 400, 'invalidSyntax');
});

t.test('a body over BODY_LIMIT_BYTES is 413', async (t) => {
  const testApp = await buildTestApp(t, { env: { BODY_LIMIT_BYTES: '2048' } });
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  isScimError(t, await scim.request('POST', 'Users', userBody('big@contoso.com', { title: 'x'.repeat(4000) })), 413);
});

t.test('a body that is not JSON by its Content-Type is 415', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  isScimError(t, await scim.request('POST', 'Users', 'userName=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
  isScimError(t, await scim.request('POST', 'Users', 'x', { 'content-type': 'text/plain' }), 415);
});

t.test('application/json is accepted as well as application/scim+json', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const res = await scim.request('POST', 'Users', userBody('json@contoso.com'), { 'content-type': 'application/json' });
  t.equal(res.statusCode, 201);
  t.match(res.headers['content-type'], /^application\/scim\+json/);
});

t.test('an unsupported method on a SCIM path is 405 with Allow', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const res = await scim.request('PUT', 'Users', userBody('x@contoso.com'));
  isScimError(t, res, 405);
  t.equal(res.headers['allow'], 'POST, GET');
  isScimError(t, await scim.request('DELETE', 'ServiceProviderConfig'), 405);
});

t.test('an unknown SCIM path is 404 as a SCIM Error', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  isScimError(t, await scim.request('GET', 'Devices'), 404);
});

t.test('a request without a credential is 401 as a SCIM Error', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/scim/v2/Users' });
  isScimError(t, res, 401);
  // RFC 6750 §3.1: no credential, so a bare challenge without an error code.
  t.equal(res.headers['www-authenticate'], 'Bearer realm="portal-provisioning"');
});

t.test('the tenant URL form answers for the credential\'s tenant and 401 for another', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const other = await createTestTenant(testApp);
  const mine = await testApp.app.inject({ method: 'GET', url: `/scim/v2/tenants/${tenant.tenantId}/Users`, headers: tenant.scimHeaders });
  t.equal(mine.statusCode, 200);
  isScimError(t, await testApp.app.inject({ method: 'GET', url: `/scim/v2/tenants/${other.tenantId}/Users`, headers: tenant.scimHeaders }), 401);
});

t.test('a malformed filter, an unknown attribute and an oversized filter are 400 invalidFilter', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  for (const filter of ['userName eq', 'shoeSize eq "x"', 'userName zz "x"', `${'('.repeat(5000)}userName eq "x"${')'.repeat(5000)}`, 'active gt true', 'meta.created gt "yesterday"']) {
    isScimError(t, await scim.request('GET', `Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
  }
});
