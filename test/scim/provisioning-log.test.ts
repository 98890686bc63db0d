import t from 'tap';
import type { ProvisioningLogRow } from '../../src/store/tables.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { scimClient, userBody } from '../helpers/scim.js';
import { createTestTenant, type TestTenant } from '../helpers/tenants.js';

/** Reads and failures are logged through a short batch; flushing first makes the table complete. */
const entries = async (testApp: TestApp, tenant: TestTenant): Promise<ProvisioningLogRow[]> => {
  await testApp.app.flushProvisioningLog();
  return testApp.deps.database.db.selectFrom('provisioning_log').selectAll().where('tenant_id', '=', tenant.tenantId).orderBy('id').execute();
};

const summary = (e: ProvisioningLogRow | undefined) =>
  e && { operation: e.operation, outcome: e.outcome, status: e.http_status, scimType: e.scim_type, changes: e.changes };

t.test('each SCIM operation writes exactly one entry naming the operation, outcome and changes', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const plain = scimClient(testApp.app, tenant);
  // Flushed after each request so entry ids follow the request order.
  const flushed = async <T>(p: Promise<T>): Promise<T> => {
    const r = await p;
    await testApp.app.flushProvisioningLog();
    return r;
  };
  const scim = {
    request: (...a: Parameters<typeof plain.request>) => flushed(plain.request(...a)),
    patch: (...a: Parameters<typeof plain.patch>) => flushed(plain.patch(...a)),
  };
  const res = await scim.request('POST', 'Users', userBody('log@contoso.com', { externalId: 'E1' }), { 'client-request-id': 'req-create-1' });
  const id = (res.json() as { id: string }).id;
  await scim.request('GET', `Users/${id}`);
  await scim.request('GET', `Users?filter=${encodeURIComponent('userName eq "log@contoso.com"')}`);
  await scim.request('GET', `Users?filter=${encodeURIComponent('userName eq "nobody-3f2a"')}`);
  await scim.request('GET', `Users?filter=${encodeURIComponent('userName eq "nobody" and active eq true')}`);
  await scim.patch(id, [{ op: 'replace', path: 'name.familyName', value: 'Changed' }]);
  await scim.patch(id, [{ op: 'replace', path: 'active', value: 'False' }]);
  await scim.patch(id, [{ op: 'replace', path: 'active', value: true }]);
  await scim.request('PUT', `Users/${id}`, userBody('log@contoso.com', { externalId: 'E1', displayName: 'Put' }));
  await scim.request('DELETE', `Users/${id}`);
  const log = await entries(testApp, tenant);
  t.same(log.map(summary), [
    { operation: 'Create', outcome: 'success', status: 201, scimType: null, changes: [
      { attribute: 'active', new: true }, { attribute: 'externalId', new: 'E1' }, { attribute: 'name.familyName', new: 'Family' },
      { attribute: 'name.givenName', new: 'Given' }, { attribute: 'userName', new: 'log@contoso.com' },
    ] },
    { operation: 'Get', outcome: 'success', status: 200, scimType: null, changes: null },
    { operation: 'Query', outcome: 'success', status: 200, scimType: null, changes: null },
    { operation: 'Test connection', outcome: 'success', status: 200, scimType: null, changes: null },
    { operation: 'Query', outcome: 'success', status: 200, scimType: null, changes: null },
    { operation: 'Update', outcome: 'success', status: 200, scimType: null, changes: [{ attribute: 'name.familyName', old: 'Family', new: 'Changed' }] },
    { operation: 'Disable', outcome: 'success', status: 200, scimType: null, changes: [{ attribute: 'active', old: true, new: false }] },
    { operation: 'Enable', outcome: 'success', status: 200, scimType: null, changes: [{ attribute: 'active', old: false, new: true }] },
    { operation: 'Replace', outcome: 'success', status: 200, scimType: null, changes: [{ attribute: 'displayName', new: 'Put' }, { attribute: 'name.familyName', old: 'Changed', new: 'Family' }] },
    { operation: 'Delete', outcome: 'success', status: 204, scimType: null, changes: null },
  ]);
  const first = log[0];
  t.equal(first?.request_id, 'req-create-1');
  t.equal(first?.client_id, tenant.clientId, 'the OAuth client that made the request');
  t.same([first?.target_id, first?.target_user_name, first?.target_external_id], [id, 'log@contoso.com', 'E1']);
  t.same(first?.occurred_at, new Date('2026-01-15T10:00:00.000Z'));
  t.type(first?.duration_ms, 'number');
  t.equal(log[9]?.target_id, id, 'the delete names its target');
});

t.test('a create failing with 409 writes a failure entry and no user', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  await scim.create('twice@contoso.com');
  const res = await scim.request('POST', 'Users', userBody('TWICE@contoso.com', { externalId: 'E2' }));
  t.equal(res.statusCode, 409);
  const log = await entries(testApp, tenant);
  t.equal(log.length, 2);
  t.match(log[1], { operation: 'Create', outcome: 'failure', http_status: 409, scim_type: 'uniqueness', target_user_name: 'TWICE@contoso.com', target_external_id: 'E2', changes: null });
  t.match(log[1]?.detail, /already taken/);
  const users = await testApp.deps.database.db.selectFrom('accounts').select('id').where('tenant_id', '=', tenant.tenantId).execute();
  t.equal(users.length, 1);
});

t.test('a failed PATCH writes its failure entry with scimType and detail', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const user = await scim.create('bad@contoso.com');
  await scim.patch(user.id, [{ op: 'replace', path: 'id', value: 'x' }]);
  await testApp.app.flushProvisioningLog();
  await scim.patch(user.id, [{ op: 'replace', path: 'active', value: false }], { 'if-match': 'W/"7"' });
  await testApp.app.flushProvisioningLog();
  await scim.request('GET', 'Users/6f1d0e1c-0000-4000-8000-000000000000');
  const log = (await entries(testApp, tenant)).slice(1);
  t.same(log.map((e) => [e.operation, e.outcome, e.http_status, e.scim_type]), [
    ['Update', 'failure', 400, 'mutability'],
    ['Disable', 'failure', 412, null],
    ['Get', 'failure', 404, null],
  ]);
  t.equal(log[1]?.target_id, user.id);
});

t.test('a write that rolls back leaves no success entry and no change', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const user = await scim.create('rollback@contoso.com');
  // Make the entry insert itself fail inside the transaction, after the account update ran.
  const db = testApp.deps.database.db;
  const { sql } = await import('kysely');
  await sql`alter table provisioning_log add constraint no_update_entries check (operation <> 'Update') not valid`.execute(db);
  t.teardown(() => sql`alter table provisioning_log drop constraint if exists no_update_entries`.execute(db));
  const res = await scim.patch(user.id, [{ op: 'replace', path: 'displayName', value: 'Never' }]);
  t.equal(res.statusCode, 500);
  t.match(res.json(), { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '500' });
  const row = await db.selectFrom('accounts').select(['display_name', 'version']).where('id', '=', user.id).executeTakeFirstOrThrow();
  t.same(row, { display_name: null, version: 1 });
  const log = await entries(testApp, tenant);
  t.same(log.map((e) => [e.operation, e.outcome]), [['Create', 'success']]);
});

t.test('100 concurrent writes leave 100 entries', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => scim.request('POST', 'Users', userBody(`c${i}@contoso.com`))));
  t.same(results.map((r) => r.statusCode), Array(100).fill(201));
  const log = await entries(testApp, tenant);
  t.equal(log.length, 100);
  t.equal(new Set(log.map((e) => e.target_id)).size, 100);
  t.ok(log.every((e) => e.operation === 'Create' && e.outcome === 'success'));
});

t.test('secrets and bearer tokens never appear in an entry', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const res = await scim.request('POST', 'Users', userBody('sec@contoso.com', { password: 'P@ss-SUPERSECRET-2' }));
  const id = (res.json() as { id: string }).id;
  await scim.patch(id, [{ op: 'replace', path: 'password', value: 'P@ss-SUPERSECRET-3' }]);
  await scim.patch(id, [{ op: 'replace', value: { password: 'P@ss-SUPERSECRET-4', displayName: 'S' } }]);
  await scim.request('POST', 'Users', userBody('sec@contoso.com', { password: 'P@ss-SUPERSECRET-5' }));
  const log = await entries(testApp, tenant);
  t.equal(log.length, 4);
  t.notMatch(JSON.stringify(log), /SUPERSECRET|password/i);
  t.notOk(JSON.stringify(log).includes(tenant.accessToken.split('.')[2] ?? tenant.accessToken), 'the bearer token is in no entry');
  t.notMatch(testApp.logLines.join('\n'), /SUPERSECRET/);
});

t.test('long values are cut and the number of changes is capped', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`custom${String(i).padStart(2, '0')}`, 'v']));
  await scim.create('big@contoso.com', { title: 'x'.repeat(5000), ...many });
  const [entry] = await entries(testApp, tenant);
  const changes = entry?.changes as { attribute: string; new?: unknown }[];
  t.ok(changes.length <= 41);
  t.equal(changes.at(-1)?.attribute, '…');
  t.ok(JSON.stringify(entry).length < 12_000);
});

t.test('PROVISIONING_LOG_ENABLED=false writes no entries', async (t) => {
  const testApp = await buildTestApp(t, { env: { PROVISIONING_LOG_ENABLED: 'false' } });
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  await scim.create('quiet@contoso.com');
  await scim.request('GET', 'Users');
  t.equal((await entries(testApp, tenant)).length, 0);
});
