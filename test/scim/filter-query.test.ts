import { sql } from 'kysely';
import t from 'tap';
import { compileFilter, parseFilter } from '../../src/scim/filter.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { ENTERPRISE, scimClient, type ScimClient } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

/** Four users to filter, created one minute apart in a tenant of their own. */
async function fixture(testApp: TestApp): Promise<{ scim: ScimClient; tenantId: string; ids: Record<string, string> }> {
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const ids: Record<string, string> = {};
  const users: [string, Record<string, unknown>][] = [
    ['alice@contoso.com', { externalId: 'EXT-A', displayName: 'Alice Adams', name: { givenName: 'Alice', familyName: 'Adams' }, emails: [{ type: 'work', value: 'Alice@Contoso.com', primary: true }, { type: 'home', value: 'alice@home.example' }] }],
    ['bob@contoso.com', { externalId: 'ext-b', displayName: 'Bob Brown', name: { givenName: 'Bob', familyName: 'Brown' }, emails: [{ type: 'home', value: 'bob@work.example' }] }],
    ['carol@fabrikam.com', { active: false, name: { givenName: 'Carol', familyName: 'Clark' }, [ENTERPRISE]: { department: 'Sales' } }],
    ['dave_50%@fabrikam.com', { externalId: 'EXT-D', displayName: 'Dave', name: { givenName: 'Dave', familyName: 'Davis' } }],
  ];
  for (const [userName, overrides] of users) {
    ids[userName] = (await scim.create(userName, overrides)).id;
    testApp.clock.advance(60_000);
  }
  return { scim, tenantId: tenant.tenantId, ids };
}

const userNames = async (scim: ScimClient, filter: string): Promise<string[]> => {
  const res = await scim.request('GET', `Users?filter=${encodeURIComponent(filter)}&sortBy=userName`);
  if (res.statusCode !== 200) throw new Error(`${filter}: ${res.statusCode} ${res.body}`);
  return (res.json() as { Resources: { userName: string }[] }).Resources.map((r) => r.userName);
};

t.test('every attribute and operator filters in SQL with the schema\'s case rules', async (t) => {
  const testApp = await buildTestApp(t);
  testApp.clock.set('2026-03-01T00:00:00.000Z');
  const { scim, ids } = await fixture(testApp);
  const A = 'alice@contoso.com';
  const B = 'bob@contoso.com';
  const C = 'carol@fabrikam.com';
  const D = 'dave_50%@fabrikam.com';
  const cases: [string, string[]][] = [
    ['userName eq "ALICE@contoso.COM"', [A]],
    ['userName ne "alice@contoso.com"', [B, C, D]],
    ['userName co "CONTOSO"', [A, B]],
    ['userName sw "Bo"', [B]],
    ['userName ew "FABRIKAM.com"', [C, D]],
    ['userName co "_50%"', [D]],
    ['userName gt "bob@contoso.com"', [C, D]],
    ['userName ge "bob@contoso.com"', [B, C, D]],
    ['userName lt "bob@contoso.com"', [A]],
    ['userName le "bob@contoso.com"', [A, B]],
    ['userName pr', [A, B, C, D]],
    ['externalId eq "EXT-A"', [A]],
    ['externalId eq "ext-a"', []],
    ['externalId eq EXT-D', [D]],
    ['externalId pr', [A, B, D]],
    ['externalId sw "EXT"', [A, D]],
    [`id eq "${ids[B] ?? ''}"`, [B]],
    [`id ne "${ids[B] ?? ''}"`, [A, C, D]],
    ['id eq "not-a-uuid"', []],
    ['active eq true', [A, B, D]],
    ['active eq false', [C]],
    ['active ne true', [C]],
    ['displayName eq "alice adams"', [A]],
    ['displayName pr', [A, B, D]],
    ['name.givenName eq "CAROL"', [C]],
    ['name.familyName co "ar"', [C]],
    ['emails.value eq "alice@contoso.com"', [A]],
    ['emails co "@work.example"', [B]],
    ['emails[type eq "work"].value eq "ALICE@CONTOSO.COM"', [A]],
    ['emails[type eq "work"].value co "work.example"', []],
    ['emails[type eq "home" and value ew "example"]', [A, B]],
    ['emails[type eq "work"].value pr', [A]],
    ['emails pr', [A, B]],
    ['meta.created gt "2026-03-01T00:00:00Z"', [B, C, D]],
    ['meta.created eq "2026-03-01T00:00:00Z"', [A]],
    ['meta.lastModified le "2026-03-01T00:01:00Z"', [A, B]],
    ['meta.lastModified lt "2026-03-01T00:01:00Z"', [A]],
    ['userName sw "a" or userName sw "c"', [A, C]],
    ['userName co "contoso" and not (externalId eq "EXT-A")', [B]],
    ['(userName sw "a" or userName sw "d") and active eq true and externalId pr', [A, D]],
    ['not (active eq true)', [C]],
  ];
  for (const [filter, expected] of cases) t.same(await userNames(scim, filter), expected, filter);
});

t.test('POST /Users/.search takes the same filter in a body', async (t) => {
  const testApp = await buildTestApp(t);
  const { scim } = await fixture(testApp);
  const res = await scim.request('POST', 'Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName sw "b"', attributes: ['userName'] });
  t.equal(res.statusCode, 200);
  const body = res.json() as { totalResults: number; Resources: Record<string, unknown>[] };
  t.equal(body.totalResults, 1);
  t.same(Object.keys(body.Resources[0] ?? {}).sort(), ['id', 'schemas', 'userName']);
});

t.test('EXPLAIN shows index scans for userName eq and externalId eq', async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const tenant = await createTestTenant(testApp);
  // Enough rows that a sequential scan is not the cheap plan, then fresh statistics.
  await sql`insert into accounts (tenant_id, id, user_name, external_id, given_name, family_name, active, resource, created_at, updated_at)
    select ${tenant.tenantId}::uuid, gen_random_uuid(), 'u' || g || '@x.test', 'e' || g, 'G', 'F', true, '{}'::jsonb, now(), now()
    from generate_series(1, 5000) g`.execute(db);
  await sql`analyze accounts`.execute(db);
  for (const [filter, index] of [['userName eq "U42@x.test"', 'accounts_user_name_key'], ['externalId eq "e42"', 'accounts_external_id_idx']] as const) {
    const where = compileFilter(parseFilter(filter));
    const plan = await db.selectFrom('accounts').select(['id', 'resource']).where('tenant_id', '=', tenant.tenantId).where(() => where).explain();
    const text = plan.map((row) => Object.values(row).join(' ')).join('\n');
    t.match(text, new RegExp(`Index (Only )?Scan using ${index}|Bitmap Index Scan on ${index}`), `${filter}: ${text}`);
  }
});
