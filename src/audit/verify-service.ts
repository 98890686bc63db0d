import type { Kysely } from 'kysely';
import { findLatestPurgeEntry, hashedFieldsOf, listChainEntries, listChainTenants } from '../store/audit-entries.js';
import type { DB } from '../store/tables.js';
import { AUDIT_PURGE_ACTION, checkLink, purgeAnchor, type ChainBreak, type ChainCursor } from './chain.js';

/** Entries read per query while walking a chain: bounded memory whatever the chain's length. */
const PAGE = 1000;

export interface ChainReport {
  tenantId: string;
  /** Entries checked (the remaining ones, after any purge). */
  entries: number;
  /** Seq of the oldest remaining entry (1 unless a purge removed older ones); null for an empty chain. */
  firstSeq: number | null;
  /** The newest entry checked: an operator keeps this elsewhere to notice the newest entries deleted (chain.ts). */
  head: ChainCursor | null;
  /** The first broken entry; the chain is not read past it. */
  broken: ChainBreak | null;
}

export interface VerifyReport {
  ok: boolean;
  chains: ChainReport[];
}

/**
 * `audit verify` (issue 19): walks every chain (or one) in seq order from its oldest remaining entry, recomputing
 * each hash and checking each link (src/audit/chain.ts), and reports the first break per chain.
 */
export async function verifyAuditChains(db: Kysely<DB>, options: { tenantId?: string | undefined } = {}): Promise<VerifyReport> {
  const tenants = options.tenantId === undefined ? await listChainTenants(db) : [options.tenantId];
  const chains: ChainReport[] = [];
  for (const tenantId of tenants) chains.push(await verifyChain(db, tenantId));
  return { ok: chains.every((c) => c.broken === null), chains };
}

async function verifyChain(db: Kysely<DB>, tenantId: string): Promise<ChainReport> {
  const purge = await findLatestPurgeEntry(db, tenantId, AUDIT_PURGE_ACTION);
  const anchor = purge ? purgeAnchor(purge.action, purge.detail) : undefined;
  const report: ChainReport = { tenantId, entries: 0, firstSeq: null, head: null, broken: null };
  let previous: ChainCursor | undefined;
  for (;;) {
    const page = await listChainEntries(db, tenantId, previous?.seq ?? 0, PAGE);
    for (const entry of page) {
      report.firstSeq ??= entry.seq;
      const broken = checkLink(previous, { fields: hashedFieldsOf(entry), prevHash: entry.prevHash, hash: entry.hash }, anchor);
      if (broken) return { ...report, broken };
      previous = { seq: entry.seq, hash: entry.hash };
      report.entries += 1;
      report.head = previous;
    }
    if (page.length < PAGE) return report;
  }
}
