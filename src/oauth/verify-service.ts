import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { ScimPrincipal } from '../http/principal.js';
import { findClientStatus, findSecretTokenByHash, touchSecretToken } from '../store/credentials.js';
import type { DB } from '../store/tables.js';
import { CLOCK_TOLERANCE_SECONDS, InvalidAccessToken, verifyAccessToken } from './access-token.js';
import { BoundedCache } from './bounded-cache.js';
import { CredentialTenants } from './credential-tenant-service.js';
import type { SigningKeyRing } from './key-service.js';
import { hashSecret } from './secrets.js';

/** Long-lived SCIM secret tokens carry this prefix; anything else presented as a bearer is taken for a JWT. */
export const SECRET_TOKEN_PREFIX = 'ppst';

const CACHE_ENTRIES = 10_000;
/** last_used_at of a secret token is written at most this often, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

interface VerifierDeps {
  db: Kysely<DB>;
  clock: Clock;
  config: Config;
}

interface CachedAccessToken {
  principal: ScimPrincipal;
  issuer: string;
  audience: string;
  validUntilMs: number;
}

interface CachedSecretToken {
  tokenHash: string;
  tenantId: string;
  tokenId: string;
  principal: ScimPrincipal | null;
  checkedAt: number;
  lastUsedAt: number;
}

/**
 * Turns a bearer credential into the SCIM principal. On the hot path a known token costs a map lookup: verified
 * JWTs are cached until they expire, and whether their client is still active is re-read at most every
 * CREDENTIAL_RECHECK_SECONDS, so revoking a client or disabling a tenant takes effect within that, not at expiry.
 */
export class CredentialVerifier {
  private readonly accessTokens = new BoundedCache<string, CachedAccessToken>(CACHE_ENTRIES);
  private readonly secretTokens = new BoundedCache<string, CachedSecretToken>(CACHE_ENTRIES);
  private readonly clientStatus = new BoundedCache<string, { active: boolean; checkedAt: number }>(CACHE_ENTRIES);
  private readonly tenants: CredentialTenants;

  constructor(
    private readonly deps: VerifierDeps,
    private readonly keys: SigningKeyRing,
  ) {
    this.tenants = new CredentialTenants(deps);
  }

  /** Throws InvalidAccessToken with a message safe to show the caller. */
  async verify(token: string, expect: { issuer: string; audience: string }): Promise<ScimPrincipal> {
    if (token.startsWith(`${SECRET_TOKEN_PREFIX}_`)) return this.verifySecretToken(token);
    return this.verifyJwt(token, expect);
  }

  private get recheckMs(): number {
    return this.deps.config.credentialRecheckSeconds * 1000;
  }

  private async verifyJwt(token: string, expect: { issuer: string; audience: string }): Promise<ScimPrincipal> {
    const now = this.deps.clock.now();
    let cached = this.accessTokens.get(token);
    if (!cached || cached.issuer !== expect.issuer || cached.audience !== expect.audience || cached.validUntilMs <= now.getTime()) {
      const verified = await verifyAccessToken(token, (kid) => this.keys.publicKey(kid), { ...expect, now });
      cached = {
        principal: { kind: 'scim', tenantId: verified.tenantId, clientId: verified.clientId, credential: 'oauth-client' },
        issuer: expect.issuer,
        audience: expect.audience,
        validUntilMs: (verified.expiresAt + CLOCK_TOLERANCE_SECONDS) * 1000,
      };
      this.accessTokens.set(token, cached);
    }
    if (!(await this.clientIsActive(cached.principal.clientId, cached.principal.tenantId, now.getTime()))) {
      this.accessTokens.delete(token);
      throw new InvalidAccessToken('the client has been revoked or its tenant disabled');
    }
    return cached.principal;
  }

  private async clientIsActive(clientId: string, tenantId: string, now: number): Promise<boolean> {
    const key = `${tenantId}:${clientId}`;
    const known = this.clientStatus.get(key);
    if (known && now - known.checkedAt < this.recheckMs) return known.active;
    // The token names its tenant (signed by us), so the re-read is keyed by (tenant_id, client_id) at once.
    const status = await findClientStatus(this.deps.db, tenantId, clientId);
    const active = status !== undefined && status.status === 'active' && status.tenantStatus === 'active';
    this.clientStatus.set(key, { active, checkedAt: now });
    return active;
  }

  private async verifySecretToken(token: string): Promise<ScimPrincipal> {
    const now = this.deps.clock.now().getTime();
    let cached = this.secretTokens.get(token);
    if (!cached || now - cached.checkedAt >= this.recheckMs) {
      // Looked up by its digest: an index match on a SHA-256 of 256 random bits reveals nothing usable.
      const tokenHash = cached?.tokenHash ?? hashSecret(token, 'secret-token');
      const tenantId = cached?.tenantId ?? (await this.tenants.tenantOf('secret-token', tokenHash));
      const row = tenantId === undefined ? undefined : await findSecretTokenByHash(this.deps.db, tenantId, tokenHash);
      if (!row) {
        this.secretTokens.delete(token);
        throw new InvalidAccessToken('the secret token is not known');
      }
      const usable = row.revoked_at === null && row.tenant_status === 'active';
      cached = {
        tokenHash,
        tenantId: row.tenant_id,
        tokenId: row.id,
        principal: usable ? { kind: 'scim', tenantId: row.tenant_id, clientId: `secret-token:${row.id}`, credential: 'secret-token' } : null,
        checkedAt: now,
        lastUsedAt: row.last_used_at?.getTime() ?? Number.NEGATIVE_INFINITY,
      };
      if (usable && now - cached.lastUsedAt >= TOUCH_INTERVAL_MS) {
        await touchSecretToken(this.deps.db, row.tenant_id, row.id, new Date(now));
        cached.lastUsedAt = now;
      }
      this.secretTokens.set(token, cached);
    }
    if (!cached.principal) throw new InvalidAccessToken('the secret token has been revoked or its tenant disabled');
    return cached.principal;
  }
}
