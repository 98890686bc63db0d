import { sql } from 'kysely';
import t from 'tap';
import { compileFilter, parseFilter } from '../../src/scim/filter.js';
import { buildTestApp } from '../helpers/app.js';
import { ENTERPRISE, scimClient, type ScimClient } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

/** Entra's custom extension, as in Microsoft's SCIM tutorial (`…:CustomExtensionName:2.0:User:tag`). */
const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';

const userNames = async (scim: ScimClient, filter: string): Promise<string[]> => {
  const res = await scim.request('GET', `Users?filter=${encodeURIComponent(filter)}&sortBy=userName`);
  if (res.statusCode !== 200) throw new Error(`${filter}: ${res.statusCode} ${res.body}`);
  return (res.json() as { Resources: { userName: string }[] }).Resources.map((r) => r.userName);
};

t.test('eq and pr work on an enterprise attribute, a custom extension attribute and the manager (any matching attribute Entra may use)', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const boss = await scim.create('boss@contoso.com');
  const A = 'ann@contoso.com';
  const B = 'ben@contoso.com';
  const C = 'cy@contoso.com';
  await scim.create(A, {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE, CUSTOM],
    title: 'Engineer',
    [ENTERPRISE]: { employeeNumber: 'E-1001', department: 'Sales', manager: { value: boss.id } },
    [CUSTOM]: { tag: 'Blue-Team', remote: true },
  });
  await scim.create(B, {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE, CUSTOM],
    [ENTERPRISE]: { employeeNumber: 'e-2002' },
    [CUSTOM]: { tag: 'red-team', remote: 'False' },
  });
  await scim.create(C);
  const upperBoss = boss.id.toUpperCase();
  const cases: [string, string[]][] = [
    [`${ENTERPRISE}:employeeNumber eq "E-1001"`, [A]],
    [`${ENTERPRISE}:employeeNumber eq "e-1001"`, [A]],
    ['employeeNumber eq "E-2002"', [B]],
    [`${ENTERPRISE}:employeeNumber eq "E-9999"`, []],
    [`${ENTERPRISE}:employeeNumber pr`, [A, B]],
    [`${ENTERPRISE}:employeeNumber ne "E-1001"`, [B, 'boss@contoso.com', C]],
    [`${ENTERPRISE}:employeeNumber sw "E-"`, [A, B]],
    [`${ENTERPRISE}:department eq "SALES"`, [A]],
    ['title eq "engineer"', [A]],
    ['title pr', [A]],
    [`${CUSTOM}:tag eq "blue-team"`, [A]],
    [`${CUSTOM.toLowerCase()}:TAG eq "RED-TEAM"`, [B]],
    [`${CUSTOM}:tag pr`, [A, B]],
    [`${CUSTOM}:tag co "team"`, [A, B]],
    [`${CUSTOM}:remote eq true`, [A]],
    [`${CUSTOM}:remote eq "True"`, [A]],
    [`${CUSTOM}:remote eq "false"`, [B]],
    [`${CUSTOM}:nothing pr`, []],
    [`manager eq "${boss.id}"`, [A]],
    [`manager.value eq "${boss.id}"`, [A]],
    [`${ENTERPRISE}:manager.value eq "${boss.id}"`, [A]],
    // manager.value is caseExact: the lower-cased containment finds the row, the recheck refuses it.
    [`manager.value eq "${upperBoss}"`, upperBoss === boss.id ? [A] : []],
    ['manager pr', [A]],
    [`${ENTERPRISE}:manager.value pr`, [A]],
    [`userName sw "a" and ${CUSTOM}:tag eq "blue-team"`, [A]],
    [`not (${CUSTOM}:tag eq "blue-team")`, [B, 'boss@contoso.com', C]],
  ];
  for (const [filter, expected] of cases) t.same(await userNames(scim, filter), expected, filter);
});

t.test('Test Connection on employeeNumber: a lookup of a random value is 200 with no results, not 400', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const res = await scim.request('GET', `Users?filter=${encodeURIComponent(`${ENTERPRISE}:employeeNumber eq "7c0b1e0a-random"`)}`);
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json(), { totalResults: 0, Resources: [] });
});

t.test('filters stay within the tenant: another tenant\'s custom attribute value is not found', async (t) => {
  const testApp = await buildTestApp(t);
  const mine = scimClient(testApp.app, await createTestTenant(testApp));
  const theirs = scimClient(testApp.app, await createTestTenant(testApp));
  await theirs.create('other@fabrikam.com', { [CUSTOM]: { tag: 'shared' }, [ENTERPRISE]: { employeeNumber: 'X1' } });
  t.same(await userNames(mine, `${CUSTOM}:tag eq "shared"`), []);
  t.same(await userNames(mine, 'employeeNumber eq "X1"'), []);
  t.same(await userNames(theirs, `${CUSTOM}:tag eq "shared"`), ['other@fabrikam.com']);
});

t.test('EXPLAIN shows the match_document GIN index for a custom attribute eq, an enterprise eq and manager eq', async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const tenant = await createTestTenant(testApp);
  // Enough rows that a sequential scan is not the cheap plan, then fresh statistics.
  await sql`insert into accounts (tenant_id, id, user_name, external_id, given_name, family_name, active, resource, created_at, updated_at)
    select ${tenant.tenantId}::uuid, gen_random_uuid(), 'u' || g || '@x.test', 'e' || g, 'G', 'F', true,
      jsonb_build_object('userName', 'u' || g || '@x.test',
        ${CUSTOM}::text, jsonb_build_object('tag', 'Tag-' || g),
        ${ENTERPRISE}::text, jsonb_build_object('employeeNumber', 'N' || g, 'manager', jsonb_build_object('value', 'm' || (g % 1000)))),
      now(), now()
    from generate_series(1, 20000) g`.execute(db);
  await sql`analyze accounts`.execute(db);
  for (const filter of [`${CUSTOM}:tag eq "tag-42"`, `${ENTERPRISE}:employeeNumber eq "n42"`, 'manager eq "m42"']) {
    const where = compileFilter(parseFilter(filter));
    const query = db.selectFrom('accounts').select(['id', 'resource']).where('tenant_id', '=', tenant.tenantId).where(() => where);
    const plan = await query.explain();
    const text = plan.map((row) => Object.values(row).join(' ')).join('\n');
    t.match(text, /Bitmap Index Scan on accounts_match_document_idx/, `${filter}: ${text}`);
    t.ok((await query.execute()).length > 0, `${filter} finds rows`);
  }
});
