import { createHash } from 'node:crypto';

/**
 * The audit trail's hash chain (issue 19, tamper evidence). Each tenant's entries (and the SERVICE_WIDE ones)
 * form one chain ordered by `seq` = 1, 2, 3…; an entry's hash is
 *
 *     sha256_hex( (prev_hash ?? '') + '\n' + canonicalJson(hashed fields) )
 *
 * where the hashed fields are every column but `prev_hash` and `hash` themselves (see `HashedFields`), and
 * `prev_hash` is the hash of the entry with seq − 1. An edit of any field, a deleted or inserted row in the
 * middle, or a reordering breaks the chain at that entry, and `audit verify` names it.
 *
 * Retention (the rule the audit purge follows, so verify stays meaningful after it):
 * - The purge deletes a *prefix* of a chain: every entry with seq ≤ S, never a hole in the middle (choose S as
 *   the largest seq old enough to go; an older-looking entry after a younger one waits for the next purge).
 * - In the same transaction it appends to that same chain an entry with action `AUDIT_PURGE_ACTION` whose
 *   detail is `PurgeDetail`: the seq and hash of the last entry it deleted, and how many it deleted.
 * - Verify then starts from the oldest remaining entry. If that entry's seq is 1, its prev_hash must be null.
 *   Otherwise the chain must hold a purge entry whose `purgedThroughSeq` is seq − 1 and whose
 *   `purgedThroughHash` equals the oldest entry's prev_hash; the purge entry is itself covered by the chain, so
 *   it cannot be forged or edited without a break. Deleting old rows by hand without such an entry is a break.
 * What the chain cannot show: the newest entries deleted by hand (the head has nothing after it). An operator
 * who needs that keeps the latest head hash elsewhere (`audit verify --json` prints it).
 */

export const AUDIT_PURGE_ACTION = 'audit.purge';

/** The detail of an `audit.purge` entry, what lets verify start after the purged prefix. */
export interface PurgeDetail {
  purgedThroughSeq: number;
  purgedThroughHash: string;
  purged: number;
  [key: string]: unknown;
}

/** Every column of an entry except prev_hash and hash, as the chain hashes it (times as ISO-8601 UTC). */
export interface HashedFields {
  tenantId: string;
  seq: number;
  id: string;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  changes: unknown;
  detail: unknown;
}

/**
 * JSON with object keys sorted at every depth and no whitespace: the same value always gives the same text,
 * whatever order jsonb hands keys back in. Only JSON values are expected (the writer round-trips through JSON).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function entryHash(prevHash: string | null, fields: HashedFields): string {
  return createHash('sha256')
    .update(`${prevHash ?? ''}\n${canonicalJson(fields)}`, 'utf8')
    .digest('hex');
}

/** An entry as stored, for verification. */
export interface StoredLink {
  fields: HashedFields;
  prevHash: string | null;
  hash: string;
}

export interface ChainBreak {
  tenantId: string;
  seq: number;
  id: string;
  reason: 'hash-mismatch' | 'prev-hash-mismatch' | 'seq-gap' | 'missing-start';
  /** What the chain says the stored value should be. */
  expected: string | null;
  stored: string | null;
}

/** Where a chain's verification stands after its last checked entry. */
export interface ChainCursor {
  seq: number;
  hash: string;
}

/**
 * Checks one entry against the one before it (`previous`, undefined for the oldest remaining entry). For the
 * oldest entry, `anchor` is what the latest purge recorded (PurgeDetail), if any purge happened.
 */
export function checkLink(previous: ChainCursor | undefined, entry: StoredLink, anchor?: PurgeDetail): ChainBreak | undefined {
  const at = { tenantId: entry.fields.tenantId, seq: entry.fields.seq, id: entry.fields.id };
  if (previous === undefined) {
    if (entry.fields.seq === 1) {
      if (entry.prevHash !== null) return { ...at, reason: 'prev-hash-mismatch', expected: null, stored: entry.prevHash };
    } else if (!anchor || anchor.purgedThroughSeq !== entry.fields.seq - 1) {
      return { ...at, reason: 'missing-start', expected: `seq ${entry.fields.seq - 1} recorded by an ${AUDIT_PURGE_ACTION} entry`, stored: entry.prevHash };
    } else if (anchor.purgedThroughHash !== entry.prevHash) {
      return { ...at, reason: 'prev-hash-mismatch', expected: anchor.purgedThroughHash, stored: entry.prevHash };
    }
  } else {
    if (entry.fields.seq !== previous.seq + 1) {
      return { ...at, reason: 'seq-gap', expected: `seq ${previous.seq + 1}`, stored: `seq ${entry.fields.seq}` };
    }
    if (entry.prevHash !== previous.hash) return { ...at, reason: 'prev-hash-mismatch', expected: previous.hash, stored: entry.prevHash };
  }
  const expected = entryHash(entry.prevHash, entry.fields);
  if (expected !== entry.hash) return { ...at, reason: 'hash-mismatch', expected, stored: entry.hash };
  return undefined;
}

/** The PurgeDetail in an entry's detail, when the entry is a purge record of the expected shape. */
export function purgeAnchor(action: string, detail: unknown): PurgeDetail | undefined {
  if (action !== AUDIT_PURGE_ACTION || typeof detail !== 'object' || detail === null) return undefined;
  const d = detail as Record<string, unknown>;
  if (typeof d['purgedThroughSeq'] !== 'number' || typeof d['purgedThroughHash'] !== 'string' || typeof d['purged'] !== 'number') return undefined;
  return d as PurgeDetail;
}
