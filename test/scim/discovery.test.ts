import { sql } from 'kysely';
import t from 'tap';
import { recountAccounts } from '../../src/store/account-counts.js';
import { buildTestApp } from '../helpers/app.js';
import { CORE, ENTERPRISE, NABLE } from '../helpers/scim.js';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
import { createTestTenant } from '../helpers/tenants.js';

t.test('ServiceProviderConfig states what the server does', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const res = await testApp.app.inject({ method: 'GET', url: '/scim/v2/ServiceProviderConfig', headers: tenant.scimHeaders });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/scim\+json/);
  t.match(res.json(), {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false },
    filter: { supported: true, maxResults: 1000 },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [{ type: 'oauthbearertoken' }],
  });
});

t.test('the stated maxResults is the count the server enforces', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  await sql`insert into accounts (tenant_id, id, user_name, given_name, family_name, active, resource, created_at, updated_at)
    select ${tenant.tenantId}::uuid, gen_random_uuid(), 'u' || g, 'G', 'F', true, '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}'::jsonb, now(), now()
    from generate_series(1, 1005) g`.execute(testApp.deps.database.db);
  // Seeded past the statements that count accounts, so counted afresh as the hourly recount would (issue 14).
  await recountAccounts(testApp.deps.database.db, tenant.tenantId);
  const res = await testApp.app.inject({ method: 'GET', url: '/scim/v2/Users?count=5000&attributes=userName', headers: tenant.scimHeaders });
  t.equal(res.statusCode, 200);
  t.equal(res.json().totalResults, 1005);
  t.equal(res.json().itemsPerPage, 1000);
});

t.test('ResourceTypes lists User with the enterprise extension, and Group', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const list = (await testApp.app.inject({ method: 'GET', url: '/scim/v2/ResourceTypes', headers: tenant.scimHeaders })).json();
  t.equal(list.totalResults, 2);
  const user = (await testApp.app.inject({ method: 'GET', url: '/scim/v2/ResourceTypes/User', headers: tenant.scimHeaders })).json();
  t.same(list.Resources[0], user);
  t.match(user, { id: 'User', endpoint: '/Users', schema: CORE, schemaExtensions: [{ schema: ENTERPRISE, required: false }, { schema: NABLE, required: false }] });
  const group = (await testApp.app.inject({ method: 'GET', url: '/scim/v2/ResourceTypes/Group', headers: tenant.scimHeaders })).json();
  t.same(list.Resources[1], group);
  t.match(group, { id: 'Group', endpoint: '/Groups', schema: GROUP });
  t.equal((await testApp.app.inject({ method: 'GET', url: '/scim/v2/ResourceTypes/Device', headers: tenant.scimHeaders })).statusCode, 404);
});

t.test('Schemas describe the attributes the server enforces', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const list = (await testApp.app.inject({ method: 'GET', url: '/scim/v2/Schemas', headers: tenant.scimHeaders })).json();
  t.same(list.Resources.map((s: { id: string }) => s.id), [CORE, ENTERPRISE, GROUP, NABLE]);
  const core = (await testApp.app.inject({ method: 'GET', url: `/scim/v2/Schemas/${CORE}`, headers: tenant.scimHeaders })).json();
  const attr = (name: string) => core.attributes.find((a: { name: string }) => a.name === name);
  t.match(attr('userName'), { type: 'string', required: true, caseExact: false, uniqueness: 'server', mutability: 'readWrite' });
  t.match(attr('externalId'), { caseExact: true });
  t.match(attr('active'), { type: 'boolean', required: true });
  t.match(attr('password'), { mutability: 'writeOnly', returned: 'never' });
  t.match(attr('groups'), { mutability: 'readOnly', multiValued: true });
  t.match(attr('name').subAttributes.find((a: { name: string }) => a.name === 'givenName'), { required: true });
  const ent = (await testApp.app.inject({ method: 'GET', url: `/scim/v2/Schemas/${ENTERPRISE}`, headers: tenant.scimHeaders })).json();
  t.ok(ent.attributes.some((a: { name: string }) => a.name === 'manager'));
  const nable = (await testApp.app.inject({ method: 'GET', url: `/scim/v2/Schemas/${NABLE}`, headers: tenant.scimHeaders })).json();
  t.match(nable.attributes, [{ name: 'role', mutability: 'readOnly', returned: 'request', canonicalValues: ['admin', 'technician', 'read-only'] }], 'the portal role is readOnly and returned on request');
  t.equal((await testApp.app.inject({ method: 'GET', url: '/scim/v2/Schemas/urn:nope', headers: tenant.scimHeaders })).statusCode, 404);
  const group = (await testApp.app.inject({ method: 'GET', url: `/scim/v2/Schemas/${GROUP}`, headers: tenant.scimHeaders })).json();
  const groupAttr = (name: string) => group.attributes.find((a: { name: string }) => a.name === name);
  t.match(groupAttr('displayName'), { type: 'string', required: true, caseExact: false, uniqueness: 'server' });
  t.match(groupAttr('members'), { type: 'complex', multiValued: true, mutability: 'readWrite' });
  t.match(groupAttr('members').subAttributes.find((a: { name: string }) => a.name === 'value'), { mutability: 'immutable' });
});

t.test('discovery works under the tenant URL form too', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const res = await testApp.app.inject({ method: 'GET', url: `/scim/v2/tenants/${tenant.tenantId}/ServiceProviderConfig`, headers: tenant.scimHeaders });
  t.equal(res.statusCode, 200);
  t.equal(res.json().meta.location, `https://provisioning.test/scim/v2/tenants/${tenant.tenantId}/ServiceProviderConfig`);
});
