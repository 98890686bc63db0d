import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditActor } from '../audit/audit-entry.js';
import { recordRefusal } from '../audit/audit-service.js';
import type { Clock } from '../clock.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import {
  expireClientSecrets,
  findClient,
  findClientStatus,
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
export async function createClient(deps: CredentialDeps, tenantId: string, actor: AuditActor): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = `${CLIENT_ID_PREFIX}_${randomBytes(16).toString('base64url')}`;
  const clientSecret = generateSecret(CLIENT_SECRET_PREFIX);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await insertClient(trx, { tenantId, clientId, createdAt: now });
    await insertClientSecret(trx, { tenantId, clientId, id: randomUUID(), secretHash: hashSecret(clientSecret, 'client-secret'), createdAt: now });
    await audit(trx, tenantId, actor, 'oauth_client.create', { type: 'oauth_client', id: clientId }, now, { status: { old: null, new: 'active' } });
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
  actor: AuditActor,
): Promise<{ clientSecret: string }> {
  const client = await activeClient(deps, tenantId, clientId).catch((err: unknown) => refused(deps, err, tenantId, actor, 'oauth_client.rotate_secret', clientId));
  const clientSecret = generateSecret(CLIENT_SECRET_PREFIX);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const oldSecretsValidUntil = oldValidUntil < now ? now : oldValidUntil;
    await expireClientSecrets(trx, tenantId, client.client_id, oldSecretsValidUntil);
    await insertClientSecret(trx, { tenantId, clientId, id: randomUUID(), secretHash: hashSecret(clientSecret, 'client-secret'), createdAt: now });
    await audit(trx, tenantId, actor, 'oauth_client.rotate_secret', { type: 'oauth_client', id: clientId }, now, undefined, { oldSecretsValidUntil: oldSecretsValidUntil.toISOString() });
  });
  return { clientSecret };
}

/** Revokes at once: no new tokens, and its issued tokens stop working within CREDENTIAL_RECHECK_SECONDS. */
export async function revokeOAuthClient(deps: CredentialDeps, tenantId: string, clientId: string, actor: AuditActor): Promise<void> {
  await activeClient(deps, tenantId, clientId).catch((err: unknown) => refused(deps, err, tenantId, actor, 'oauth_client.revoke', clientId));
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await revokeClient(trx, tenantId, clientId, now);
    await audit(trx, tenantId, actor, 'oauth_client.revoke', { type: 'oauth_client', id: clientId }, now, { status: { old: 'active', new: 'revoked' } });
  });
}

export async function tenantClients(deps: CredentialDeps, tenantId: string): Promise<OAuthClient[]> {
  return listClients(deps.db, tenantId);
}

/** Which tenant a client belongs to, for commands given only a client id. */
export async function clientTenant(deps: CredentialDeps, clientId: string): Promise<string> {
  const status = await findClientStatus(deps.db, clientId);
  if (!status) throw new CredentialError(`no client "${clientId}" (see \`client list --tenant …\`)`);
  return status.tenantId;
}

/** A long-lived secret token (Entra's "Secret Token" field); returned once, stored as a digest. */
export async function createSecretToken(deps: CredentialDeps, tenantId: string, actor: AuditActor): Promise<{ id: string; token: string }> {
  const token = generateSecret(SECRET_TOKEN_PREFIX);
  const id = randomUUID();
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await insertSecretToken(trx, { tenantId, id, tokenHash: hashSecret(token, 'secret-token'), createdAt: now });
    await audit(trx, tenantId, actor, 'secret_token.create', { type: 'secret_token', id }, now, { status: { old: null, new: 'active' } });
  });
  return { id, token };
}

export async function revokeTenantSecretToken(deps: CredentialDeps, tenantId: string, id: string, actor: AuditActor): Promise<void> {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const now = deps.clock.now();
  try {
    await deps.db.transaction().execute(async (trx) => {
      if (!UUID.test(id) || !(await revokeSecretToken(trx, tenantId, id.toLowerCase(), now))) {
        throw new CredentialError(`no active secret token "${id}" for this tenant (see \`token list --tenant …\`)`);
      }
      await audit(trx, tenantId, actor, 'secret_token.revoke', { type: 'secret_token', id: id.toLowerCase() }, now, { status: { old: 'active', new: 'revoked' } });
    });
  } catch (err) {
    // Only an id-shaped value is recorded: a secret token pasted into the id field by mistake must not be kept.
    await refused(deps, err, tenantId, actor, 'secret_token.revoke', UUID.test(id) ? id.toLowerCase() : '(not an id)', 'secret_token');
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

/** Records a credential change in the tenant's chain, in the change's transaction (issue 19); never a secret. */
function audit(
  trx: Parameters<typeof appendAuditEntry>[0],
  tenantId: string,
  actor: AuditActor,
  action: string,
  target: { type: string; id: string },
  at: Date,
  changes?: Record<string, { old: unknown; new: unknown }>,
  detail?: Record<string, unknown>,
) {
  return appendAuditEntry(trx, { tenantId, actor, action, target, outcome: 'success', changes, detail, occurredAt: at });
}

/** A refused credential change (unknown or revoked), recorded after nothing changed; rethrows. */
function refused(deps: CredentialDeps, err: unknown, tenantId: string, actor: AuditActor, action: string, id: string, type = 'oauth_client'): Promise<never> {
  return recordRefusal(deps.db, err, (e) => e instanceof CredentialError, { tenantId, actor, action, target: { type, id } });
}
