import { randomBytes, randomUUID } from 'node:crypto';
import t from 'tap';
import { generateSecret, hashSecret } from '../../src/oauth/secrets.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { DB } from '../../src/store/tables.js';
import type { Kysely } from 'kysely';
import { buildTestApp } from '../helpers/app.js';
import { testDatabaseAtMigration } from '../helpers/database.js';
import { userBody } from '../helpers/scim.js';

// Upgrading a database whose credentials were issued before migration 2026-12-05-0300 (issue 18): client ids and
// secret tokens found their tenant by a global unique key then; now by credential_tenants, backfilled by the
// migration, so credentials already pasted into Entra keep working without being reissued.

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A tenant with a client, its secret and a secret token, written as the code before the migration wrote them. */
async function oldCredentials(db: Kysely<DB>, now: Date, options: { tokenRevoked?: boolean } = {}) {
  const tenantId = randomUUID();
  await db.insertInto('tenants').values({ id: tenantId, name: `upgrade-${tenantId}`, created_at: now }).execute();
  const clientId = `ppc_${randomBytes(16).toString('base64url')}`;
  const clientSecret = generateSecret('ppcs');
  await db.insertInto('oauth_clients').values({ tenant_id: tenantId, client_id: clientId, created_at: now }).execute();
  await db.insertInto('oauth_client_secrets')
    .values({ tenant_id: tenantId, client_id: clientId, id: randomUUID(), secret_hash: hashSecret(clientSecret, 'client-secret'), created_at: now })
    .execute();
  const secretToken = generateSecret('ppst');
  await db.insertInto('secret_tokens')
    .values({ tenant_id: tenantId, id: randomUUID(), token_hash: hashSecret(secretToken, 'secret-token'), created_at: now, revoked_at: options.tokenRevoked ? now : null })
    .execute();
  return { tenantId, clientId, clientSecret, secretToken };
}

t.test('credentials issued before the upgrade still get tokens and reach only their own tenant after it', async (t) => {
  const testDb = await testDatabaseAtMigration(t, '2026-12-04-0160-asset-search-trigrams');
  const db = testDb.database.db;
  const before = new Date('2026-12-04T12:00:00Z');
  const contoso = await oldCredentials(db, before);
  const fabrikam = await oldCredentials(db, before);
  const revoked = await oldCredentials(db, before, { tokenRevoked: true });

  await migrateToLatest(db);

  const { app } = await buildTestApp(t, { testDb });
  const token = await app.inject({
    method: 'POST',
    url: '/oauth2/token',
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: contoso.clientId, client_secret: contoso.clientSecret }).toString(),
    headers: FORM,
  });
  t.equal(token.statusCode, 200, 'the old client gets an access token');
  const bearer = { authorization: `Bearer ${(token.json() as { access_token: string }).access_token}` };

  const created = await app.inject({ method: 'POST', url: '/scim/v2/Users', payload: userBody('old.client@contoso.com'), headers: bearer });
  t.equal(created.statusCode, 201, 'and its access token provisions a user');

  const listAs = async (secretToken: string) =>
    app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: `Bearer ${secretToken}` } });
  const contosoList = await listAs(contoso.secretToken);
  t.equal(contosoList.statusCode, 200, "the old secret token is accepted");
  t.same((contosoList.json() as { Resources: Array<{ userName: string }> }).Resources.map((u) => u.userName), ['old.client@contoso.com'],
    "and sees its tenant's user");
  const fabrikamList = await listAs(fabrikam.secretToken);
  t.equal(fabrikamList.statusCode, 200);
  t.equal((fabrikamList.json() as { totalResults: number }).totalResults, 0, "another tenant's old secret token sees none of it");

  t.equal((await listAs(revoked.secretToken)).statusCode, 401, 'a secret token revoked before the upgrade stays refused');
  const wrongSecret = await app.inject({
    method: 'POST',
    url: '/oauth2/token',
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: contoso.clientId, client_secret: fabrikam.clientSecret }).toString(),
    headers: FORM,
  });
  t.equal(wrongSecret.statusCode, 401, "another client's secret does not open the old client");

  const mapped = await db.selectFrom('credential_tenants').select(['kind', 'tenant_id']).where('tenant_id', '=', contoso.tenantId).orderBy('kind').execute();
  t.same(mapped, [{ kind: 'oauth-client', tenant_id: contoso.tenantId }, { kind: 'secret-token', tenant_id: contoso.tenantId }],
    'the migration mapped each old credential to its tenant');
});
