import type { Kysely } from 'kysely';
import { findCredentialTenant } from '../store/credential-tenants.js';
import type { CredentialKind, DB } from '../store/tables.js';
import { BoundedCache } from './bounded-cache.js';

const CACHE_ENTRIES = 10_000;

/**
 * Which tenant a presented credential belongs to: the first read of a token request or a secret-token bearer,
 * after which every query runs on (tenant_id, …) and stays on one shard under Citus (issue 18). The answer never
 * changes (a credential stays with its tenant and goes only with it), so known answers are kept for the process
 * and the hot path costs what it did before; unknown keys are asked again, as another replica may just have issued them.
 */
export class CredentialTenants {
  private readonly known = new BoundedCache<string, string>(CACHE_ENTRIES);

  constructor(private readonly deps: { db: Kysely<DB> }) {}

  async tenantOf(kind: CredentialKind, key: string): Promise<string | undefined> {
    const cacheKey = `${kind}:${key}`;
    const cached = this.known.get(cacheKey);
    if (cached !== undefined) return cached;
    const tenantId = await findCredentialTenant(this.deps.db, kind, key);
    if (tenantId !== undefined) this.known.set(cacheKey, tenantId);
    return tenantId;
  }
}
