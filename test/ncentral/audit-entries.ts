import type { Kysely } from 'kysely';
import type { AuditEntry } from '../../src/audit/audit-entry.js';
import { listChainEntries } from '../../src/store/audit-entries.js';
import type { DB } from '../../src/store/tables.js';

/** A tenant's audit entries whose action starts with one of `prefixes`, in chain order. */
export async function auditEntries(db: Kysely<DB>, tenantId: string, prefixes: string[] = ['ncentral.', 'role_rule.']): Promise<AuditEntry[]> {
  const all = await listChainEntries(db, tenantId, 0, 100_000);
  return all.filter((e) => prefixes.some((p) => e.action.startsWith(p)));
}

/** Entries written after `before` (a count taken earlier with auditEntries). */
export async function entriesSince(db: Kysely<DB>, tenantId: string, before: AuditEntry[], prefixes?: string[]): Promise<AuditEntry[]> {
  const last = before.at(-1)?.seq ?? 0;
  return (await auditEntries(db, tenantId, prefixes)).filter((e) => e.seq > last);
}
