import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createAdminToken, type CreatedAdminToken } from '../admin/admin-token-service.js';
import { SERVICE_WIDE, type AuditActor } from '../audit/audit-entry.js';
import type { Deps } from '../deps.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import { deleteSetupCode, findSetupCode, hasAdminTokens, isUnsetDatabase, replaceSetupCode } from '../store/setup-codes.js';
import type { Tenant } from '../store/tables.js';
import { createTenant, TenantError } from '../tenants/service.js';

/** A setup link works for this long after the start that logged it (issue 12). */
export const SETUP_CODE_TTL_MS = 24 * 3600_000;

/** Why a setup link opens nothing; each is a page with its own words, never a 500. */
export type SetupRefusal = 'unknown' | 'expired' | 'already-set-up';

export class SetupRefused extends Error {
  override name = 'SetupRefused';
  constructor(readonly reason: SetupRefusal) {
    super(`setup link refused: ${reason}`);
  }
}

export interface CompletedSetup {
  tenant: Tenant;
  /** The service-wide admin token behind the first console session; its text is shown once. */
  adminToken: CreatedAdminToken;
}

export interface SetupService {
  /**
   * On an unset database (no tenant, no admin token): a new code, replacing any earlier one. Undefined otherwise.
   * One code is valid at a time: the most recent start's. Replicas starting together each log a link and the
   * last one written wins; the others answer with the "replaced or used" page, which says to take the newest.
   */
  offerIfUnset(): Promise<string | undefined>;
  /** Whether a code would be accepted now, without using it (the GET before the form). */
  check(code: string): Promise<SetupRefusal | 'valid'>;
  /**
   * Uses the code and creates the first tenant and a service-wide admin token, in one transaction: the code is
   * deleted by exactly one caller, and if anything fails it stays valid. Throws SetupRefused, or TenantError
   * for a name the operator can fix. Either way the audit trail records the use (issue 19), never the code.
   */
  complete(code: string, tenantName: string, actor: AuditActor): Promise<CompletedSetup>;
}

/** SHA-256 of 256 random bits: no slow hash needed, and the stored digest opens nothing. */
const digest = (code: string): string => createHash('sha256').update('portal-provisioning:setup-code:').update(code, 'utf8').digest('hex');

function sameDigest(stored: string, code: string): boolean {
  const a = Buffer.from(stored, 'utf8');
  const b = Buffer.from(digest(code), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createSetupService(deps: Pick<Deps, 'database' | 'clock'>): SetupService {
  const { database, clock } = deps;

  const judge = (stored: { codeHash: string; expiresAt: Date } | undefined, code: string): SetupRefusal | 'valid' => {
    if (!stored || !sameDigest(stored.codeHash, code)) return 'unknown';
    return stored.expiresAt <= clock.now() ? 'expired' : 'valid';
  };

  return {
    async offerIfUnset() {
      if (!(await isUnsetDatabase(database.db))) return undefined;
      const code = randomBytes(32).toString('base64url');
      const now = clock.now();
      const written = await replaceSetupCode(database.db, { codeHash: digest(code), createdAt: now, expiresAt: new Date(now.getTime() + SETUP_CODE_TTL_MS) });
      return written ? code : undefined;
    },

    async check(code) {
      const verdict = judge(await findSetupCode(database.db, false), code);
      if (verdict === 'valid' && (await hasAdminTokens(database.db))) return 'already-set-up';
      return verdict;
    },

    async complete(code, tenantName, actor) {
      const setupActor: AuditActor = { ...actor, type: 'setup' };
      try {
        return await database.db.transaction().execute(async (trx) => {
          const stored = await findSetupCode(trx, true);
          const verdict = judge(stored, code);
          if (verdict !== 'valid' || !stored) throw new SetupRefused(verdict === 'valid' ? 'unknown' : verdict);
          if (!(await deleteSetupCode(trx, stored.codeHash))) throw new SetupRefused('unknown');
          // An admin token made meanwhile (the CLI beside the service) means someone already has the keys.
          if (await hasAdminTokens(trx)) throw new SetupRefused('already-set-up');
          const tenant = await createTenant({ db: trx, clock }, tenantName, setupActor);
          const adminToken = await createAdminToken({ db: trx, clock }, { role: 'admin', label: 'first-run setup' }, setupActor);
          await appendAuditEntry(trx, {
            tenantId: SERVICE_WIDE,
            actor: setupActor,
            action: 'setup.use',
            target: { type: 'tenant', id: tenant.id },
            outcome: 'success',
            detail: { adminTokenId: adminToken.id },
            occurredAt: clock.now(),
          });
          return { tenant, adminToken };
        });
      } catch (err) {
        // After the rollback: the refusal is recorded even though nothing else was.
        if (err instanceof SetupRefused || err instanceof TenantError) {
          await appendAuditEntry(database.db, {
            tenantId: SERVICE_WIDE,
            actor: setupActor,
            action: 'setup.use',
            outcome: err instanceof SetupRefused ? 'refused' : 'failure',
            detail: { reason: err instanceof SetupRefused ? err.reason : err.message },
            occurredAt: clock.now(),
          });
        }
        throw err;
      }
    },
  };
}
