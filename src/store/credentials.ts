import type { Kysely, Transaction } from 'kysely';
import { insertCredentialTenant } from './credential-tenants.js';
import type { DB, OAuthClient, SecretToken } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/** What the token endpoint needs to authenticate a client: its row, its tenant's status, its usable secrets. */
export interface ClientForAuth {
  client: OAuthClient;
  tenantStatus: 'active' | 'disabled';
  secretHashes: string[];
}

/** Whether a credential still works: re-read by the bearer authenticator every few seconds. */
export interface CredentialStatus {
  tenantId: string;
  status: 'active' | 'revoked';
  tenantStatus: 'active' | 'disabled';
}

/** The client and its entry in credential_tenants, in the caller's transaction: one without the other is unusable. */
export async function insertClient(trx: Transaction<DB>, row: { tenantId: string; clientId: string; createdAt: Date }): Promise<OAuthClient> {
  await insertCredentialTenant(trx, { kind: 'oauth-client', key: row.clientId, tenantId: row.tenantId });
  return trx
    .insertInto('oauth_clients')
    .values({ tenant_id: row.tenantId, client_id: row.clientId, created_at: row.createdAt })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertClientSecret(
  db: Db,
  row: { tenantId: string; clientId: string; id: string; secretHash: string; createdAt: Date },
): Promise<void> {
  await db
    .insertInto('oauth_client_secrets')
    .values({ tenant_id: row.tenantId, client_id: row.clientId, id: row.id, secret_hash: row.secretHash, created_at: row.createdAt })
    .execute();
}

/** Ends every current secret of the client at `until` (never extends one that already ends sooner). */
export async function expireClientSecrets(db: Db, tenantId: string, clientId: string, until: Date): Promise<void> {
  await db
    .updateTable('oauth_client_secrets')
    .set({ expires_at: until })
    .where('tenant_id', '=', tenantId)
    .where('client_id', '=', clientId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', until)]))
    .execute();
}

/** The client with its tenant's status and the secrets still valid at `now` (tenant from credential_tenants). */
export async function findClientForAuth(db: Db, tenantId: string, clientId: string, now: Date): Promise<ClientForAuth | undefined> {
  const row = await db
    .selectFrom('oauth_clients')
    .innerJoin('tenants', 'tenants.id', 'oauth_clients.tenant_id')
    .selectAll('oauth_clients')
    .select('tenants.status as tenant_status')
    .where('oauth_clients.tenant_id', '=', tenantId)
    .where('oauth_clients.client_id', '=', clientId)
    .executeTakeFirst();
  if (!row) return undefined;
  const secrets = await db
    .selectFrom('oauth_client_secrets')
    .select('secret_hash')
    .where('tenant_id', '=', row.tenant_id)
    .where('client_id', '=', clientId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .execute();
  const { tenant_status, ...client } = row;
  return { client, tenantStatus: tenant_status, secretHashes: secrets.map((s) => s.secret_hash) };
}

export async function findClientStatus(db: Db, tenantId: string, clientId: string): Promise<CredentialStatus | undefined> {
  const row = await db
    .selectFrom('oauth_clients')
    .innerJoin('tenants', 'tenants.id', 'oauth_clients.tenant_id')
    .select(['oauth_clients.tenant_id', 'oauth_clients.status', 'tenants.status as tenant_status'])
    .where('oauth_clients.tenant_id', '=', tenantId)
    .where('oauth_clients.client_id', '=', clientId)
    .executeTakeFirst();
  return row && { tenantId: row.tenant_id, status: row.status, tenantStatus: row.tenant_status };
}

export async function findClient(db: Db, tenantId: string, clientId: string): Promise<OAuthClient | undefined> {
  return db.selectFrom('oauth_clients').selectAll().where('tenant_id', '=', tenantId).where('client_id', '=', clientId).executeTakeFirst();
}

export async function listClients(db: Db, tenantId: string): Promise<OAuthClient[]> {
  return db.selectFrom('oauth_clients').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('client_id').execute();
}

export async function revokeClient(db: Db, tenantId: string, clientId: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('oauth_clients')
    .set({ status: 'revoked', revoked_at: at })
    .where('tenant_id', '=', tenantId)
    .where('client_id', '=', clientId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function touchClient(db: Db, tenantId: string, clientId: string, at: Date): Promise<void> {
  await db.updateTable('oauth_clients').set({ last_used_at: at }).where('tenant_id', '=', tenantId).where('client_id', '=', clientId).execute();
}

/** The token and its entry in credential_tenants (keyed by the digest), in the caller's transaction. */
export async function insertSecretToken(
  trx: Transaction<DB>,
  row: { tenantId: string; id: string; tokenHash: string; createdAt: Date },
): Promise<void> {
  await insertCredentialTenant(trx, { kind: 'secret-token', key: row.tokenHash, tenantId: row.tenantId });
  await trx
    .insertInto('secret_tokens')
    .values({ tenant_id: row.tenantId, id: row.id, token_hash: row.tokenHash, created_at: row.createdAt })
    .execute();
}

/** The tenant's token whose digest this is, with its tenant's status (tenant from credential_tenants). */
export async function findSecretTokenByHash(
  db: Db,
  tenantId: string,
  tokenHash: string,
): Promise<(SecretToken & { tenant_status: 'active' | 'disabled' }) | undefined> {
  return db
    .selectFrom('secret_tokens')
    .innerJoin('tenants', 'tenants.id', 'secret_tokens.tenant_id')
    .selectAll('secret_tokens')
    .select('tenants.status as tenant_status')
    .where('secret_tokens.tenant_id', '=', tenantId)
    .where('secret_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function listSecretTokens(db: Db, tenantId: string): Promise<SecretToken[]> {
  return db.selectFrom('secret_tokens').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
}

export async function revokeSecretToken(db: Db, tenantId: string, id: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('secret_tokens')
    .set({ revoked_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function touchSecretToken(db: Db, tenantId: string, id: string, at: Date): Promise<void> {
  await db.updateTable('secret_tokens').set({ last_used_at: at }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}
