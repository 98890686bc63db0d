import { randomUUID } from 'node:crypto';
import t from 'tap';
import { createClient, createSecretToken } from '../../src/oauth/credential-service.js';
import { hashSecret } from '../../src/oauth/secrets.js';
import { findCredentialTenant } from '../../src/store/credential-tenants.js';
import { insertClient, insertSecretToken } from '../../src/store/credentials.js';
import { createTenant } from '../../src/tenants/service.js';
import { testClock } from '../helpers/clock.js';
import { sharedTestDatabase } from '../helpers/database.js';
import { cliActor } from '../../src/audit/request-actor.js';

// Issue 18: the credential tables are keyed by tenant_id (so they distribute on Citus); credential_tenants keeps
// each client id and secret token unique across tenants and tells the token endpoint and the bearer check the tenant.

t.test('credential_tenants', async (t) => {
  const { database } = await sharedTestDatabase();
  const deps = { db: database.db, clock: testClock() };
  const newTenant = async () => (await createTenant(deps, `tenant-${randomUUID()}`, cliActor('test'))).id;

  t.test('a new client and a new secret token are recorded under their tenant', async (t) => {
    const tenantId = await newTenant();
    const { clientId } = await createClient(deps, tenantId, cliActor('test'));
    const { token } = await createSecretToken(deps, tenantId, cliActor('test'));
    t.equal(await findCredentialTenant(database.db, 'oauth-client', clientId), tenantId);
    t.equal(await findCredentialTenant(database.db, 'secret-token', hashSecret(token, 'secret-token')), tenantId);
    t.equal(await findCredentialTenant(database.db, 'secret-token', clientId), undefined, 'a client id is not a secret token');
  });

  t.test("a client id one tenant holds cannot be given to another, and nothing of the second client is kept", async (t) => {
    const [first, second] = [await newTenant(), await newTenant()];
    const { clientId } = await createClient(deps, first, cliActor('test'));
    await t.rejects(database.db.transaction().execute((trx) => insertClient(trx, { tenantId: second, clientId, createdAt: new Date() })));
    const rows = await database.db.selectFrom('oauth_clients').select('tenant_id').where('client_id', '=', clientId).execute();
    t.same(rows, [{ tenant_id: first }]);
  });

  t.test("a secret token's digest one tenant holds cannot be stored for another", async (t) => {
    const [first, second] = [await newTenant(), await newTenant()];
    const { token } = await createSecretToken(deps, first, cliActor('test'));
    const tokenHash = hashSecret(token, 'secret-token');
    await t.rejects(
      database.db.transaction().execute((trx) => insertSecretToken(trx, { tenantId: second, id: randomUUID(), tokenHash, createdAt: new Date() })),
    );
    const rows = await database.db.selectFrom('secret_tokens').select('tenant_id').where('token_hash', '=', tokenHash).execute();
    t.same(rows, [{ tenant_id: first }]);
  });
});
