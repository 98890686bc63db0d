import t from 'tap';
import { createSecretToken } from '../../src/oauth/credential-service.js';
import { buildTestApp } from '../helpers/app.js';
import { PATCH_OP, scimClient, userBody, type ScimClient } from '../helpers/scim.js';
import { createTestTenant, type TestTenant } from '../helpers/tenants.js';
import { cliActor } from '../../src/audit/request-actor.js';

type User = Record<string, unknown> & { id: string };

/**
 * Every SCIM route, run with tenant A's credential against tenant B's data: nothing of B is read, found or
 * changed. Run once with an access token and once with a secret token.
 */
t.test('tenant A can never read, find, change or delete tenant B\'s users', async (t) => {
  const testApp = await buildTestApp(t);
  const b = await createTestTenant(testApp);
  const asB = scimClient(testApp.app, b);
  const bUsers: User[] = [
    await asB.create('b.one@fabrikam.com', { externalId: 'B-EXT-1', displayName: 'B One' }),
    await asB.create('b.two@fabrikam.com', { externalId: 'B-EXT-2', displayName: 'B Two', active: false }),
  ];
  const bBefore = await Promise.all(bUsers.map(async (u) => (await asB.request('GET', `Users/${u.id}`)).json() as User));

  const a = await createTestTenant(testApp);
  const secret = await createSecretToken({ db: testApp.deps.database.db, clock: testApp.deps.clock }, a.tenantId, cliActor('test'));
  const aWithSecretToken: TestTenant = { ...a, scimHeaders: { authorization: `Bearer ${secret.token}` } };
  await scimClient(testApp.app, a).create('a.own@contoso.com', { externalId: 'A-EXT-1' });

  for (const [credential, tenantA] of [['access token', a], ['secret token', aWithSecretToken]] as const) {
    const asA: ScimClient = scimClient(testApp.app, tenantA);
    const target = bUsers[0] as User;

    t.test(`with an ${credential}: GET of B's user by id is 404`, async (t) => {
      for (const u of bUsers) t.equal((await asA.request('GET', `Users/${u.id}`)).statusCode, 404);
    });

    t.test(`with an ${credential}: listing shows only A's users`, async (t) => {
      const res = await asA.request('GET', 'Users?count=100');
      t.equal(res.statusCode, 200);
      const body = res.json() as { totalResults: number; Resources: User[] };
      t.ok(body.Resources.length >= 1, "A's own user is listed");
      t.notOk(JSON.stringify(body).includes('fabrikam'), 'no userName of B');
      for (const u of bUsers) t.notOk(JSON.stringify(body).includes(u.id), `B's ${u.id} is not listed`);
    });

    t.test(`with an ${credential}: filters on B's userName, externalId, id and display name find nothing`, async (t) => {
      const filters = [
        'userName eq "b.one@fabrikam.com"',
        'userName co "fabrikam"',
        'externalId eq "B-EXT-1"',
        `id eq "${target.id}"`,
        'displayName sw "B "',
        'active eq false',
        'emails pr or userName pr',
      ];
      for (const filter of filters) {
        const res = await asA.request('GET', `Users?filter=${encodeURIComponent(filter)}`);
        t.equal(res.statusCode, 200, filter);
        t.notOk(JSON.stringify(res.json()).includes('fabrikam'), `nothing of B for ${filter}`);
      }
      const search = await asA.request('POST', 'Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName co "fabrikam"' });
      t.equal(search.statusCode, 200);
      t.equal((search.json() as { totalResults: number }).totalResults, 0, '.search finds nothing of B');
    });

    t.test(`with an ${credential}: PUT, PATCH and DELETE of B's user are 404`, async (t) => {
      t.equal((await asA.request('PUT', `Users/${target.id}`, userBody('b.one@fabrikam.com', { displayName: 'Taken over' }))).statusCode, 404);
      t.equal((await asA.patch(target.id, [{ op: 'replace', path: 'active', value: false }])).statusCode, 404);
      t.equal((await asA.request('PATCH', `Users/${target.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { displayName: 'X' } }] }, { 'if-match': '*' })).statusCode, 404);
      t.equal((await asA.request('DELETE', `Users/${target.id}`)).statusCode, 404);
      t.equal((await asA.request('DELETE', `Users/${target.id}`, undefined, { 'if-match': '*' })).statusCode, 404);
    });

    t.test(`with an ${credential}: every route under /scim/v2/tenants/{B} is 401`, async (t) => {
      const base = `/scim/v2/tenants/${b.tenantId}`;
      const calls: Array<[Parameters<ScimClient['request']>[0], string, unknown]> = [
        ['GET', `${base}/Users`, undefined],
        ['GET', `${base}/Users?filter=${encodeURIComponent('userName eq "b.one@fabrikam.com"')}`, undefined],
        ['POST', `${base}/Users/.search`, { filter: 'userName pr' }],
        ['GET', `${base}/Users/${target.id}`, undefined],
        ['POST', `${base}/Users`, userBody('intruder@contoso.com')],
        ['PUT', `${base}/Users/${target.id}`, userBody('b.one@fabrikam.com')],
        ['PATCH', `${base}/Users/${target.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }],
        ['DELETE', `${base}/Users/${target.id}`, undefined],
        ['GET', `${base}/ServiceProviderConfig`, undefined],
      ];
      for (const [method, url, body] of calls) {
        const res = await asA.request(method, url, body);
        t.equal(res.statusCode, 401, `${method} ${url}`);
        t.match(res.headers['www-authenticate'], /error="invalid_token"/);
        t.match(res.json(), { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
      }
    });
  }

  t.test("creating B's userName as A succeeds in A and reveals nothing of B", async (t) => {
    const res = await scimClient(testApp.app, a).request('POST', 'Users', userBody('b.one@fabrikam.com'));
    t.equal(res.statusCode, 201, 'userName uniqueness is per tenant, so no 409 hints that B has it');
  });

  t.test("B's users are exactly as they were", async (t) => {
    const after = await Promise.all(bUsers.map(async (u) => (await asB.request('GET', `Users/${u.id}`)).json() as User));
    t.same(after, bBefore);
    const list = (await asB.request('GET', 'Users')).json() as { totalResults: number };
    t.equal(list.totalResults, 2, 'B still has its two users and nothing A created');
  });
});
