import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { CORE, ENTERPRISE, scimClient, userBody } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

type User = Record<string, unknown> & { id: string; meta: Record<string, string> };

t.test('a created user has a server id, meta with absolute location, version and an ETag', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const res = await scim.request('POST', 'Users', userBody('new@contoso.com', { id: 'client-chosen', meta: { version: 'W/"9"' } }));
  t.equal(res.statusCode, 201);
  const user = res.json() as User;
  t.match(user.id, /^[0-9a-f-]{36}$/);
  t.same(user.meta, {
    resourceType: 'User',
    created: '2026-01-15T10:00:00.000Z',
    lastModified: '2026-01-15T10:00:00.000Z',
    location: `https://provisioning.test/scim/v2/Users/${user.id}`,
    version: 'W/"1"',
  });
  t.equal(res.headers['location'], user.meta['location']);
  t.equal(res.headers['etag'], 'W/"1"');
});

t.test('without PUBLIC_BASE_URL meta.location comes from the request host', async (t) => {
  const testApp = await buildTestApp(t, { env: { PUBLIC_BASE_URL: '' } });
  // The token is bound to the host it was issued for (iss/aud), so it is obtained through the same host.
  const scim = scimClient(testApp.app, await createTestTenant(testApp, undefined, { host: 'scim.example.net' }));
  const res = await scim.request('POST', 'Users', userBody('host@contoso.com'), { host: 'scim.example.net' });
  t.equal((res.json() as User).meta['location'], `http://scim.example.net/scim/v2/Users/${(res.json() as User).id}`);
});

t.test('a password is never stored nor returned', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = (await scim.request('POST', 'Users', userBody('pw@contoso.com', { password: 'Hunter2!secret' }))).json() as User;
  t.notOk('password' in user);
  const patched = await scim.patch(user.id, [{ op: 'replace', path: 'password', value: 'Other!secret' }]);
  t.equal(patched.statusCode, 200);
  const rows = await testApp.deps.database.db.selectFrom('accounts').select('resource').where('id', '=', user.id).execute();
  t.notMatch(JSON.stringify(rows), /secret/);
});

t.test('the portal account columns follow the resource', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('cols@contoso.com', {
    externalId: 'X1', displayName: 'Col Umns', emails: [{ type: 'home', value: 'h@x' }, { type: 'work', value: 'w@x' }],
  });
  await scim.patch(user.id, [{ op: 'replace', path: 'active', value: false }, { op: 'replace', path: 'name.familyName', value: 'Last' }]);
  const row = await testApp.deps.database.db.selectFrom('accounts').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
  t.same(
    { u: row.user_name, e: row.external_id, g: row.given_name, f: row.family_name, d: row.display_name, m: row.email, a: row.active, v: row.version },
    { u: 'cols@contoso.com', e: 'X1', g: 'Given', f: 'Last', d: 'Col Umns', m: 'w@x', a: false, v: 2 },
  );
});

t.test('attributes Entra sends that the schema does not describe are kept and returned', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const ext = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';
  const user = await scim.create('keep@contoso.com', { schemas: [CORE, ext], [ext]: { tag: 'x' }, phoneNumbers: [{ type: 'mobile', value: '+1' }] });
  const got = (await scim.request('GET', `Users/${user.id}`)).json() as User;
  t.same(got[ext], { tag: 'x' });
  t.same(got['schemas'], [CORE, ext]);
  t.same(got['phoneNumbers'], [{ type: 'mobile', value: '+1' }]);
});

t.test('PUT replaces the resource and keeps the id', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('put@contoso.com', { displayName: 'Old', title: 'Boss' });
  testApp.clock.advance(1000);
  const res = await scim.request('PUT', `Users/${user.id}`, userBody('put@contoso.com', { id: 'ignored', displayName: 'New' }));
  t.equal(res.statusCode, 200);
  const body = res.json() as User;
  t.equal(body.id, user.id);
  t.equal(body['displayName'], 'New');
  t.notOk('title' in body);
  t.equal(body.meta['version'], 'W/"2"');
  t.equal(body.meta['lastModified'], '2026-01-15T10:00:01.000Z');
  t.equal(body.meta['created'], '2026-01-15T10:00:00.000Z');
});

t.test('PATCH with active false disables the account and true re-enables it', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('toggle@contoso.com');
  t.equal((((await scim.patch(user.id, [{ op: 'Replace', path: 'active', value: 'False' }])).json()) as User)['active'], false);
  t.equal((((await scim.patch(user.id, [{ op: 'replace', value: { active: true } }])).json()) as User)['active'], true);
});

t.test('PATCH adds and replaces the manager given as a bare id, and removes it with or without a value', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('managed@contoso.com');
  const add = (await scim.patch(user.id, [{ op: 'add', path: 'manager', value: 'm-1' }])).json() as User;
  t.same(add[ENTERPRISE], { manager: { value: 'm-1' } });
  t.same(add['schemas'], [CORE, ENTERPRISE]);
  const replace = (await scim.patch(user.id, [{ op: 'Replace', path: `${ENTERPRISE}:manager`, value: { value: 'm-2' } }])).json() as User;
  t.same(replace[ENTERPRISE], { manager: { value: 'm-2' } });
  const removed = (await scim.patch(user.id, [{ op: 'remove', path: 'manager', value: [{ value: 'm-2' }] }])).json() as User;
  t.notOk(ENTERPRISE in removed);
  t.same(removed['schemas'], [CORE]);
  await scim.patch(user.id, [{ op: 'add', path: 'manager', value: 'm-3' }]);
  const removedPlain = (await scim.patch(user.id, [{ op: 'Remove', path: `${ENTERPRISE}:manager` }])).json() as User;
  t.notOk(ENTERPRISE in removedPlain);
});

t.test('concurrent PATCHes to one user all land: no update is lost', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('busy@contoso.com');
  const n = testDatabaseUrl() ? 50 : 20;
  const results = await Promise.all(
    // Untyped elements: two elements of one type are refused (issue 16).
    Array.from({ length: n }, (_, i) => scim.patch(user.id, [{ op: 'add', path: 'emails', value: [{ value: `e${i}@x` }] }])),
  );
  t.same(results.map((r) => r.statusCode), Array(n).fill(200));
  const got = (await scim.request('GET', `Users/${user.id}`)).json() as User;
  t.equal((got['emails'] as unknown[]).length, n);
  t.equal(got.meta['version'], `W/"${n + 1}"`);
});

t.test('listing pages in creation order with an exact total, startIndex and count', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  for (let i = 1; i <= 7; i++) {
    await scim.create(`p${i}@contoso.com`);
    testApp.clock.advance(1000);
  }
  const page = (await scim.request('GET', 'Users?startIndex=3&count=2')).json() as { totalResults: number; startIndex: number; itemsPerPage: number; Resources: User[] };
  t.same([page.totalResults, page.startIndex, page.itemsPerPage], [7, 3, 2]);
  t.same(page.Resources.map((r) => r['userName']), ['p3@contoso.com', 'p4@contoso.com']);
  const last = (await scim.request('GET', 'Users?startIndex=7&count=5')).json() as { totalResults: number; Resources: User[] };
  t.same([last.totalResults, last.Resources.length], [7, 1]);
  const beyond = (await scim.request('GET', 'Users?startIndex=50')).json() as { totalResults: number; Resources: User[] };
  t.same([beyond.totalResults, beyond.Resources.length], [7, 0]);
  const zero = (await scim.request('GET', 'Users?count=0')).json() as { totalResults: number; Resources: User[] };
  t.same([zero.totalResults, zero.Resources.length], [7, 0]);
  t.equal((await scim.request('GET', 'Users?count=abc')).statusCode, 400);
});

t.test('sortBy and sortOrder order the list; an unsortable attribute is 400', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  for (const [u, f] of [['b@x', 'Zed'], ['a@x', 'Young'], ['c@x', 'Xu']]) await scim.create(u ?? '', { name: { givenName: 'G', familyName: f } });
  const names = async (q: string) => ((await scim.request('GET', `Users?${q}`)).json() as { Resources: User[] }).Resources.map((r) => r['userName']);
  t.same(await names('sortBy=userName'), ['a@x', 'b@x', 'c@x']);
  t.same(await names('sortBy=USERNAME&sortOrder=descending'), ['c@x', 'b@x', 'a@x']);
  t.same(await names('sortBy=name.familyName'), ['c@x', 'a@x', 'b@x']);
  t.equal((await scim.request('GET', 'Users?sortBy=nickName')).statusCode, 400);
  t.equal((await scim.request('GET', 'Users?sortOrder=sideways')).statusCode, 400);
});

t.test('attributes and excludedAttributes shape every read; id and schemas always come back', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('shape@contoso.com', { emails: [{ type: 'work', value: 'w@x' }], [ENTERPRISE]: { department: 'D', manager: { value: 'm' } } });
  const only = (await scim.request('GET', `Users/${user.id}?attributes=userName,name.givenName,emails.value,${ENTERPRISE}:department`)).json() as User;
  t.same(only, { schemas: [CORE, ENTERPRISE], id: user.id, userName: 'shape@contoso.com', name: { givenName: 'Given' }, emails: [{ value: 'w@x' }], [ENTERPRISE]: { department: 'D' } });
  const without = (await scim.request('GET', `Users/${user.id}?excludedAttributes=emails,name.familyName,meta,id`)).json() as User;
  t.notOk('emails' in without);
  t.notOk('meta' in without);
  t.equal(without.id, user.id);
  t.same(without['name'], { givenName: 'Given' });
  const listed = (await scim.request('GET', 'Users?attributes=userName')).json() as { Resources: User[] };
  t.same(listed.Resources, [{ schemas: [CORE, ENTERPRISE], id: user.id, userName: 'shape@contoso.com' }]);
  t.equal((await scim.request('GET', `Users/${user.id}?attributes=shoeSize`)).statusCode, 400);
});

t.test('a repeated identical PATCH changes nothing and keeps the version', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('again@contoso.com', { emails: [{ type: 'work', value: 'a@x', primary: true }] });
  const ops = [{ op: 'replace', path: 'displayName', value: 'Same' }, { op: 'replace', path: 'emails[type eq "work"].value', value: 'a@x' }];
  t.equal((await scim.patch(user.id, ops)).headers['etag'], 'W/"2"');
  const second = await scim.patch(user.id, ops);
  t.equal(second.statusCode, 200);
  t.equal(second.headers['etag'], 'W/"2"');
  t.equal((second.json() as User)['displayName'], 'Same');
});

t.test('sortBy=id orders by id', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const ids = [];
  for (const u of ['s1@x', 's2@x', 's3@x', 's4@x']) ids.push((await scim.create(u)).id);
  const listed = ((await scim.request('GET', 'Users?sortBy=id&sortOrder=descending')).json() as { Resources: User[] }).Resources.map((r) => r.id);
  t.same(listed, [...ids].sort().reverse());
});
