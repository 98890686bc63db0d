import { sql } from 'kysely';
import t from 'tap';
import { countTenantAccounts } from '../../src/store/accounts.js';
import { buildTestApp } from '../helpers/app.js';
import { scimClient } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

type ListPage = { totalResults: number; Resources: unknown[] };

t.test("a tenant's kept account count is exact through creates, deletes, bulk inserts and another tenant's removal", async (t) => {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const other = await createTestTenant(testApp);
  const counted = async (tenantId: string) => {
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from accounts where tenant_id = ${tenantId}::uuid`.execute(db);
    return Number(rows[0]?.n);
  };
  const agree = async (what: string) => t.equal(await countTenantAccounts(db, tenant.tenantId), await counted(tenant.tenantId), what);

  await agree('no accounts yet');
  // Concurrent creates (several pool connections, so several slots), one of them a duplicate that inserts nothing.
  const made = await Promise.all(Array.from({ length: 12 }, (_, i) => scim.create(`c${i}@contoso.com`)));
  t.equal((await scim.request('POST', 'Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'c0@contoso.com', active: true, name: { givenName: 'G', familyName: 'F' } })).statusCode, 409);
  await agree('after 12 creates and a refused duplicate');
  t.equal(await countTenantAccounts(db, tenant.tenantId), 12);
  await Promise.all(made.slice(0, 5).map((u) => scim.request('DELETE', `Users/${u.id}`)));
  await agree('after 5 deletes');
  await sql`
    insert into accounts (tenant_id, id, user_name, given_name, family_name, active, resource, created_at, updated_at)
    select ${tenant.tenantId}::uuid, gen_random_uuid(), 'b' || g || '@x.test', 'G', 'F', true, '{}'::jsonb, now(), now()
    from generate_series(1, 250) as g`.execute(db);
  await agree('after a 250-row insert in one statement');
  // A rolled-back insert leaves the count as it was.
  await db
    .transaction()
    .execute(async (trx) => {
      await sql`insert into accounts (tenant_id, id, user_name, given_name, family_name, active, resource, created_at, updated_at)
        values (${tenant.tenantId}::uuid, gen_random_uuid(), 'gone@x.test', 'G', 'F', true, '{}'::jsonb, now(), now())`.execute(trx);
      throw new Error('roll back');
    })
    .catch(() => undefined);
  await agree('after a rolled-back insert');
  const page = (await scim.request('GET', 'Users?startIndex=200&count=10')).json() as ListPage;
  t.same([page.totalResults, page.Resources.length], [257, 10], 'totalResults of an unfiltered list is the kept count');
  const filtered = (await scim.request('GET', `Users?filter=${encodeURIComponent('userName sw "c"')}&startIndex=2&count=1`)).json() as ListPage;
  t.equal(filtered.totalResults, 7, 'a filtered list still counts its matches');

  await scimClient(testApp.app, other).create('o@contoso.com');
  await sql`delete from tenants where id = ${other.tenantId}::uuid`.execute(db);
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from account_counts where tenant_id = ${other.tenantId}::uuid`.execute(db);
  t.equal(rows[0]?.n, '0', "a removed tenant's count rows go with it");
  await agree("another tenant's removal leaves this count alone");
});
