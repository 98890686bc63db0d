import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import { findClientForAuth, touchClient } from '../store/credentials.js';
import type { DB } from '../store/tables.js';
import { signAccessToken } from './access-token.js';
import { grantedScope, type ClientCredentials } from './client-auth.js';
import { CredentialTenants } from './credential-tenant-service.js';
import { BASIC_CHALLENGE, OAuthError } from './errors.js';
import type { SigningKeyRing } from './key-service.js';
import { secretMatches } from './secrets.js';

export interface TokenServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  config: Config;
  log: Logger;
  /** Counts issued tokens (GET /metrics); optional so the service stands alone in tests. */
  metrics?: Pick<Metrics, 'recordTokenIssued'>;
}

/** RFC 6749 §5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** Issues access tokens for the client-credentials grant (RFC 6749 §4.4). */
export class TokenService {
  private readonly tenants: CredentialTenants;

  constructor(
    private readonly deps: TokenServiceDeps,
    private readonly keys: SigningKeyRing,
  ) {
    this.tenants = new CredentialTenants(deps);
  }

  /** Authenticates the client first, then grants the scope (invalid_scope), then signs. */
  async issue(
    credentials: ClientCredentials,
    requestedScope: string | undefined,
    where: { issuer: string; audience: string },
  ): Promise<TokenResponse> {
    const now = this.deps.clock.now();
    const tenant = await this.tenants.tenantOf('oauth-client', credentials.clientId);
    const found = tenant === undefined ? undefined : await findClientForAuth(this.deps.db, tenant, credentials.clientId, now);
    // Every check runs, so an unknown client, a revoked one and a wrong secret cost the same and read the same.
    let matched = false;
    for (const hash of found?.secretHashes ?? []) matched = secretMatches(credentials.clientSecret, hash, 'client-secret') || matched;
    if (!found || !matched || found.client.status !== 'active' || found.tenantStatus !== 'active') {
      this.deps.log.info(
        { clientId: credentials.clientId, method: credentials.method, known: found !== undefined },
        'client authentication failed',
      );
      // §5.2: 401 with a challenge when the client used the Authorization header.
      const headers: Record<string, string> = credentials.method === 'client_secret_basic' ? { 'www-authenticate': BASIC_CHALLENGE } : {};
      throw new OAuthError('invalid_client', 'Client authentication failed.', 401, headers);
    }
    const scope = grantedScope(requestedScope);
    const { tenant_id: tenantId, client_id: clientId } = found.client;
    const ttlSeconds = this.deps.config.accessTokenTtlSeconds;
    const accessToken = await signAccessToken(await this.keys.signingKey(), {
      issuer: where.issuer,
      audience: where.audience,
      clientId,
      tenantId,
      scope,
      issuedAt: now,
      ttlSeconds,
      jti: randomUUID(),
    });
    await touchClient(this.deps.db, tenantId, clientId, now);
    this.deps.metrics?.recordTokenIssued(tenantId);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: ttlSeconds, scope };
  }
}
