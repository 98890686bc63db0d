import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { SERVICE_WIDE, type AuditActor } from '../audit/audit-entry.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { openSecret, sealContext, sealSecret } from '../crypto/sealed-secret.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import {
  findActiveSigningKey,
  insertSigningKey,
  listPublishedSigningKeys,
  listSigningKeys,
  retireActiveSigningKey,
} from '../store/signing-keys.js';
import type { DB, SigningKey } from '../store/tables.js';
import { ACCESS_TOKEN_ALG, CLOCK_TOLERANCE_SECONDS } from './access-token.js';
import { generateSigningKey, publishUntil } from './key-rotation.js';

interface KeyRingDeps {
  db: Kysely<DB>;
  clock: Clock;
  config: Config;
  log: Logger;
}

export interface SigningKeySummary {
  kid: string;
  alg: string;
  state: 'active' | 'published' | 'expired';
  sealed: boolean;
  createdAt: Date;
  retiredAt: Date | null;
  publishUntil: Date | null;
}

/** The bound on how often an unknown `kid` may send us to the database (a flood of forged kids costs one read a second). */
const UNKNOWN_KID_RELOAD_MS = 1000;

/**
 * The service-wide access-token signing keys. The active key is re-read every CREDENTIAL_RECHECK_SECONDS so a
 * `keys rotate` run from the CLI reaches every replica; public keys are reloaded when a token names an unknown kid.
 */
export class SigningKeyRing {
  private active: { kid: string; privateKey: CryptoKey; readAt: number } | undefined;
  private published = new Map<string, { key: CryptoKey; jwk: JWK; until: number }>();
  private publishedReadAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: KeyRingDeps) {}

  /** The key new tokens are signed with; created on first use. */
  async signingKey(): Promise<{ kid: string; privateKey: CryptoKey }> {
    const now = this.deps.clock.now().getTime();
    if (this.active && now - this.active.readAt < this.deps.config.credentialRecheckSeconds * 1000) return this.active;
    const row = (await findActiveSigningKey(this.deps.db)) ?? (await this.createFirstKey());
    const privateKey = this.active?.kid === row.kid ? this.active.privateKey : await this.importPrivate(row);
    this.active = { kid: row.kid, privateKey, readAt: now };
    return this.active;
  }

  /** A published key by kid, for verification; undefined for unknown or no longer published kids. */
  async publicKey(kid: string): Promise<CryptoKey | undefined> {
    const now = this.deps.clock.now().getTime();
    let entry = this.published.get(kid);
    if (!entry && now - this.publishedReadAt >= UNKNOWN_KID_RELOAD_MS) {
      await this.loadPublished();
      entry = this.published.get(kid);
    }
    return entry && entry.until > now ? entry.key : undefined;
  }

  /** RFC 7517 JWK Set of every key whose tokens may still be live (RFC 8414 `jwks_uri`). */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.signingKey();
    await this.loadPublished();
    const now = this.deps.clock.now().getTime();
    return { keys: [...this.published.values()].filter((e) => e.until > now).map((e) => e.jwk) };
  }

  /** Makes a new key active; the old one stays published until every token it signed has expired. */
  async rotate(actor: AuditActor): Promise<{ kid: string; retiredKid: string | undefined; retiredPublishedUntil: Date | undefined }> {
    const now = this.deps.clock.now();
    const { config } = this.deps;
    const until = publishUntil(now, config.accessTokenTtlSeconds, config.credentialRecheckSeconds, CLOCK_TOLERANCE_SECONDS);
    const fresh = await generateSigningKey();
    const result = await this.deps.db.transaction().execute(async (trx) => {
      const retiredKid = await retireActiveSigningKey(trx, now, until);
      await insertSigningKey(trx, this.storable(fresh, now));
      // Key ids are public (they are in the JWKS); the keys themselves never reach the audit trail.
      await appendAuditEntry(trx, {
        tenantId: SERVICE_WIDE,
        actor,
        action: 'signing_key.rotate',
        target: { type: 'signing_key', id: fresh.kid },
        outcome: 'success',
        changes: { activeKid: { old: retiredKid ?? null, new: fresh.kid } },
        detail: retiredKid === undefined ? {} : { retiredPublishedUntil: until.toISOString() },
        occurredAt: now,
      });
      return retiredKid;
    });
    this.active = undefined;
    this.publishedReadAt = Number.NEGATIVE_INFINITY;
    this.deps.log.info({ kid: fresh.kid, retiredKid: result }, 'signing key rotated');
    return { kid: fresh.kid, retiredKid: result, retiredPublishedUntil: result === undefined ? undefined : until };
  }

  async list(): Promise<SigningKeySummary[]> {
    const now = this.deps.clock.now().getTime();
    return (await listSigningKeys(this.deps.db)).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: k.retired_at === null ? 'active' : k.publish_until && k.publish_until.getTime() > now ? 'published' : 'expired',
      sealed: k.sealed,
      createdAt: k.created_at,
      retiredAt: k.retired_at,
      publishUntil: k.publish_until,
    }));
  }

  private async loadPublished(): Promise<void> {
    const now = this.deps.clock.now();
    const rows = await listPublishedSigningKeys(this.deps.db, now);
    const next = new Map<string, { key: CryptoKey; jwk: JWK; until: number }>();
    for (const row of rows) {
      const jwk = row.public_jwk as JWK;
      const known = this.published.get(row.kid);
      const key = known?.key ?? ((await importJWK(jwk, ACCESS_TOKEN_ALG)) as CryptoKey);
      next.set(row.kid, { key, jwk, until: row.publish_until?.getTime() ?? Number.POSITIVE_INFINITY });
    }
    this.published = next;
    this.publishedReadAt = now.getTime();
  }

  private async createFirstKey(): Promise<SigningKey> {
    const fresh = await generateSigningKey();
    try {
      const row = await insertSigningKey(this.deps.db, this.storable(fresh, this.deps.clock.now()));
      this.deps.log.info({ kid: row.kid, sealed: row.sealed }, 'created the first access-token signing key');
      return row;
    } catch (err) {
      // Another replica created it first (the partial unique index allows one active key): use theirs.
      if ((err as { code?: string }).code !== '23505') throw err;
      const row = await findActiveSigningKey(this.deps.db);
      if (!row) throw err;
      return row;
    }
  }

  private storable(fresh: Awaited<ReturnType<typeof generateSigningKey>>, createdAt: Date) {
    const { encryptionKey } = this.deps.config;
    const privateJson = JSON.stringify(fresh.privateJwk);
    if (!encryptionKey) {
      // Only deps built without createDeps (some tests) get here: createDeps always supplies a key.
      this.deps.log.warn({ kid: fresh.kid }, 'no encryption key in these deps: the signing key is stored unencrypted');
    }
    return {
      kid: fresh.kid,
      alg: ACCESS_TOKEN_ALG,
      publicJwk: fresh.publicJwk as Record<string, unknown>,
      // Bound to its kid, so a sealed key copied onto another row does not open.
      privateKey: encryptionKey ? sealSecret(encryptionKey, privateJson, sealContext.signingKey(fresh.kid)) : privateJson,
      sealed: encryptionKey !== undefined,
      createdAt,
    };
  }

  private async importPrivate(row: SigningKey): Promise<CryptoKey> {
    let json = row.private_key;
    if (row.sealed) {
      const { encryptionKey } = this.deps.config;
      if (!encryptionKey) {
        throw new Error(`signing key ${row.kid} is sealed under ENCRYPTION_KEY, which is not set; set it or run \`keys rotate\``);
      }
      json = openSecret(encryptionKey, row.private_key, sealContext.signingKey(row.kid));
    }
    return (await importJWK(JSON.parse(json) as JWK, ACCESS_TOKEN_ALG)) as CryptoKey;
  }
}
