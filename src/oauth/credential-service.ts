import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { findCredentialTenant } from '../store/credential-tenants.js';
import {
  expireClientSecrets,
  findClient,
  insertClient,
  insertClientSecret,
  insertSecretToken,
  listClients,
  listSecretTokens,
  revokeClient,
  revokeSecretToken,
} from '../store/credentials.js';
import type { DB, OAuthClient, SecretToken } from '../store/tables.js';
import { generateSecret, hashSecret } from './secrets.js';
import { SECRET_TOKEN_PREFIX } from './verify-service.js';

interface CredentialDeps {
  db: Kysely<DB>;
  clock: Clock;
}

/** A request an operator can fix (unknown client, wrong tenant): the CLI prints it and exits 1. */
export class CredentialError extends Error {
  override name = 'CredentialError';
}

const CLIENT_SECRET_PREFIX = 'ppcs';
const CLIENT_ID_PREFIX = 'ppc';

/** A new OAuth client for the tenant; the secret is returned here once and only its digest is kept. */
export async function createClient(deps: CredentialDeps, tenantId: string): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = `${CLIENT_ID_PREFIX}_${randomBytes(16).toString('base64url')}`;
  const clientSecret = generateSecret(CLIENT_SECRET_PREFIX);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await insertClient(trx, { tenantId, clientId, createdAt: now });
    await insertClientSecret(trx, { tenantId, clientId, id: randomUUID(), secretHash: hashSecret(clientSecret, 'client-secret'), createdAt: now });
  });
  return { clientId, clientSecret };
}

/**
 * A new secret for the client. The old secrets keep working until `oldValidUntil` (now = at once), so the new
 * one can be pasted into Entra without a gap.
 */
export async function rotateClientSecret(
  deps: CredentialDeps,
  tenantId: string,
  clientId: string,
  oldValidUntil: Date,
): Promise<{ clientSecret: string }> {
  const client = await activeClient(deps, tenantId, clientId);
  const clientSecret = generateSecret(CLIENT_SECRET_PREFIX);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await expireClientSecrets(trx, tenantId, client.client_id, oldValidUntil < now ? now : oldValidUntil);
    await insertClientSecret(trx, { tenantId, clientId, id: randomUUID(), secretHash: hashSecret(clientSecret, 'client-secret'), createdAt: now });
  });
  return { clientSecret };
}

/** Revokes at once: no new tokens, and its issued tokens stop working within CREDENTIAL_RECHECK_SECONDS. */
export async function revokeOAuthClient(deps: CredentialDeps, tenantId: string, clientId: string): Promise<void> {
  await activeClient(deps, tenantId, clientId);
  await revokeClient(deps.db, tenantId, clientId, deps.clock.now());
}

export async function tenantClients(deps: CredentialDeps, tenantId: string): Promise<OAuthClient[]> {
  return listClients(deps.db, tenantId);
}

/** Which tenant a client belongs to, for commands given only a client id. */
export async function clientTenant(deps: CredentialDeps, clientId: string): Promise<string> {
  const tenantId = await findCredentialTenant(deps.db, 'oauth-client', clientId);
  if (tenantId === undefined) throw new CredentialError(`no client "${clientId}" (see \`client list --tenant …\`)`);
  return tenantId;
}

/** A long-lived secret token (Entra's "Secret Token" field); returned once, stored as a digest. */
export async function createSecretToken(deps: CredentialDeps, tenantId: string): Promise<{ id: string; token: string }> {
  const token = generateSecret(SECRET_TOKEN_PREFIX);
  const id = randomUUID();
  const tokenHash = hashSecret(token, 'secret-token');
  await deps.db.transaction().execute((trx) => insertSecretToken(trx, { tenantId, id, tokenHash, createdAt: deps.clock.now() }));
  return { id, token };
}

export async function revokeTenantSecretToken(deps: CredentialDeps, tenantId: string, id: string): Promise<void> {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (!UUID.test(id) || !(await revokeSecretToken(deps.db, tenantId, id.toLowerCase(), deps.clock.now()))) {
    throw new CredentialError(`no active secret token "${id}" for this tenant (see \`token list --tenant …\`)`);
  }
}

export async function tenantSecretTokens(deps: CredentialDeps, tenantId: string): Promise<SecretToken[]> {
  return listSecretTokens(deps.db, tenantId);
}

async function activeClient(deps: CredentialDeps, tenantId: string, clientId: string): Promise<OAuthClient> {
  const client = await findClient(deps.db, tenantId, clientId);
  if (!client) throw new CredentialError(`no client "${clientId}" for this tenant (see \`client list --tenant …\`)`);
  if (client.status !== 'active') throw new CredentialError(`client "${clientId}" is already revoked`);
  return client;
}
