import t, { type Test } from 'tap';
import { compileProjection, renderUser } from '../../src/scim/representation.js';
import { sql } from 'kysely';
import { ANSWERS_AS_STORED, parsedResource, renderStoredUserText, type StoredUserText } from '../../src/scim/user-text.js';
import { NABLE_USER_SCHEMA } from '../../src/scim/nable-extension.js';
import { buildTestApp } from '../helpers/app.js';
import { scimClient } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

/**
 * Issue 14: a list page splices each stored User's JSON text instead of parsing and re-serialising it. Whatever
 * path a user takes, the answer must be the User renderUser gives (default projection); these compare the two.
 */

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';
const usersUrl = 'https://provisioning.test/scim/v2/Users';
const groupsUrl = 'https://provisioning.test/scim/v2/Groups';

/** The store's split of a resource, spaced as PostgreSQL prints jsonb (`"a": 1, "b": 2`). */
const stored = (resource: Record<string, unknown>, version = 3): StoredUserText & { resource: Record<string, unknown> } => {
  const { schemas, ...rest } = resource;
  const pgText = (v: unknown) => JSON.stringify(v).replace(/":/g, '": ').replace(/,"/g, ', "');
  return {
    id: '2819c223-7f76-453a-919d-413861904646',
    version,
    created: '2026-12-01T10:11:12.345Z',
    last_modified: '2026-12-04T01:02:03.004Z',
    resource_text: pgText(rest),
    schemas_text: schemas === undefined ? null : pgText(schemas),
    resource,
  };
};
const byRenderUser = (user: ReturnType<typeof stored>, groups: { id: string; displayName: string }[]) =>
  compileProjection(undefined, undefined)(renderUser({ ...user, created_at: new Date(user.created), updated_at: new Date(user.last_modified), role: 'technician' }, usersUrl, new Map(), { list: groups, groupsUrl }));

const plain: Record<string, Record<string, unknown>> = {
  'Entra-shaped': {
    schemas: [CORE, ENTERPRISE],
    userName: 'ada@contoso.com', externalId: 'e-1', active: true, displayName: 'Ada "the first" Lovelace',
    name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' },
    emails: [{ type: 'work', primary: true, value: 'ada@contoso.com' }],
    [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations' },
  },
  'custom extension, unicode and escapes': {
    schemas: [CORE, CUSTOM],
    userName: 'zoë@contoso.com', active: false, name: { givenName: 'Zoë', familyName: 'Ünïcode\\\n\t' },
    [CUSTOM]: { tag: 'A,"B"', flags: [true, false, null], count: 12.5 },
  },
  'only the required attributes': { schemas: [CORE], userName: 'b', active: true, name: { givenName: 'B', familyName: 'C' } },
  'nothing but schemas': { schemas: [CORE] },
};

/** ANSWERS_AS_STORED as PostgreSQL computes it for a stored resource. */
const answersAsStored = async (t: Test, resources: Record<string, unknown>[]): Promise<boolean[]> => {
  const testApp = await buildTestApp(t);
  const result = await sql<{ as_stored: boolean }>`select ${ANSWERS_AS_STORED} as as_stored
    from (select r::jsonb as resource, n from unnest(${resources.map((r) => JSON.stringify(r))}::text[]) with ordinality as u(r, n)) as accounts order by n`.execute(testApp.deps.database.db);
  return result.rows.map((row) => row.as_stored);
};

t.test('a stored user renderUser would not change answers the same User from its text', async (t) => {
  t.same(await answersAsStored(t, Object.values(plain)), Object.values(plain).map(() => true), 'PostgreSQL sends each down the text path');
  for (const [name, resource] of Object.entries(plain)) {
    for (const groups of [[], [{ id: 'b1f0c2a4-0000-4000-8000-000000000001', displayName: 'Sales' }, { id: 'b1f0c2a4-0000-4000-8000-000000000002', displayName: 'Ops' }]]) {
      const user = stored(resource);
      const text = renderStoredUserText(user, usersUrl, { list: groups, groupsUrl });
      t.same(JSON.parse(text), byRenderUser(user, groups), `${name}, ${groups.length} groups: the same User as renderUser`);
      t.equal(Object.keys(JSON.parse(text) as object)[0], 'schemas', `${name}: schemas first, as renderUser orders it`);
    }
  }
});

t.test('a stored user renderUser would change goes down the parsing path, and parses back whole', async (t) => {
  const base = plain['Entra-shaped'] ?? {};
  const changed: Record<string, Record<string, unknown>> = {
    'a manager, whose displayName is filled': { ...base, [ENTERPRISE]: { manager: { value: '6b2d0c1e-1111-4111-8111-111111111111' } } },
    'a stored id': { ...base, id: 'not-the-row-id' },
    'a stored meta': { ...base, meta: { resourceType: 'Other' } },
    'stored groups': { ...base, groups: [{ value: 'x' }] },
    'the N-able extension': { ...base, [NABLE_USER_SCHEMA]: { role: 'admin' } },
    'the N-able schema listed': { ...base, schemas: [CORE, NABLE_USER_SCHEMA] },
    'no schemas': { userName: 'a', active: true },
    'schemas not a list': { ...base, schemas: CORE },
  };
  t.same(await answersAsStored(t, Object.values(changed)), Object.values(changed).map(() => false), 'PostgreSQL sends each down the parsing path');
  for (const [name, resource] of Object.entries(changed)) t.same(parsedResource(stored(resource)), resource, `${name}: the stored resource parses back`);
  // Names are looked up as keys: a value spelled like one, or a nested `id`, keeps the text path.
  t.same(await answersAsStored(t, [{ ...base, title: 'id' }, { ...base, [CUSTOM]: { id: 'x', manager: 'y' } }]), [true, true]);
});

t.test('through the API: every user of a page is the User its GET answers, whichever path it took', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const manager = await scim.create('boss@contoso.com');
  await scim.patch(manager.id, [{ op: 'Replace', path: 'displayName', value: 'The Boss' }]);
  const managed = await scim.create('report@contoso.com');
  await scim.patch(managed.id, [{ op: 'Add', path: `${ENTERPRISE}:manager`, value: manager.id }]);
  const custom = await scim.request('POST', 'Users', { ...plain['custom extension, unicode and escapes'], userName: 'custom@contoso.com' });
  t.equal(custom.statusCode, 201);
  const grouped = await scim.create('grouped@contoso.com');
  const group = await scim.request('POST', 'Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales', members: [{ value: grouped.id }] });
  t.equal(group.statusCode, 201);

  const page = await scim.request('GET', 'Users?startIndex=1&count=10');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /application\/scim\+json/);
  const body = page.json() as { totalResults: number; itemsPerPage: number; startIndex: number; Resources: { id: string }[] };
  t.equal(body.totalResults, 4);
  t.equal(body.itemsPerPage, 4);
  for (const listed of body.Resources) {
    const single = (await scim.request('GET', `Users/${listed.id}`)).json() as Record<string, unknown>;
    t.same(listed, single, `${String(single['userName'])}: listed as read alone`);
  }
  const report = body.Resources.find((r) => r.id === managed.id) as Record<string, Record<string, Record<string, unknown>>> | undefined;
  t.equal(report?.[ENTERPRISE]?.['manager']?.['displayName'], 'The Boss', 'the manager displayName is filled on a page too');
  const cursorPage = (await scim.request('GET', 'Users?cursor=&count=2')).json() as { Resources: unknown[]; nextCursor?: string };
  t.equal(cursorPage.Resources.length, 2);
  t.type(cursorPage.nextCursor, 'string');
  const projected = (await scim.request('GET', 'Users?attributes=userName')).json() as { Resources: Record<string, unknown>[] };
  t.same(Object.keys(projected.Resources[0] ?? {}).sort(), ['id', 'schemas', 'userName'], 'a projection still applies on a page');
});
