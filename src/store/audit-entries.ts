import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AuditEntry, AuditEntryInput } from '../audit/audit-entry.js';
import { entryHash, type HashedFields } from '../audit/chain.js';
import { redactSecrets } from '../audit/redact.js';
import { fanOut } from './distribution.js';
import type { AuditEntryRow, DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Longest text kept in any one text column of an entry: caller-supplied text (user agents, names) stays small. */
const MAX_TEXT = 1024;

/**
 * Appends one entry to its tenant's chain (src/audit/chain.ts). Call it with the transaction of the change it
 * records, so the entry commits or rolls back with it; with a plain Kysely it opens a transaction of its own —
 * that is for refused and failed actions, written after the change rolled back.
 *
 * The chain head is read under a transaction-scoped advisory lock on the tenant, so two concurrent writers
 * chain one after the other instead of both taking the same seq. The only chain written is `input.tenantId`:
 * callers pass the tenant their principal is scoped to, never one taken from the request body.
 */
export async function appendAuditEntry(db: Db, input: AuditEntryInput): Promise<AuditEntry> {
  if (db.isTransaction) return appendInTransaction(db as Transaction<DB>, input);
  return db.transaction().execute((trx) => appendInTransaction(trx, input));
}

async function appendInTransaction(trx: Transaction<DB>, input: AuditEntryInput): Promise<AuditEntry> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`audit_entries:${input.tenantId}`}, 0))`.execute(trx);
  const head = await findChainHead(trx, input.tenantId);
  const fields: HashedFields = {
    tenantId: input.tenantId,
    seq: head ? head.seq + 1 : 1,
    id: randomUUID(),
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    actorType: input.actor.type,
    actorId: text(input.actor.id),
    actorLabel: text(input.actor.label),
    sourceIp: text(input.actor.sourceIp),
    userAgent: text(input.actor.userAgent),
    action: input.action,
    targetType: text(input.target?.type),
    targetId: text(input.target?.id),
    outcome: input.outcome,
    changes: asStoredJson(input.changes),
    detail: asStoredJson(input.detail),
  };
  const prevHash = head?.hash ?? null;
  const hash = entryHash(prevHash, fields);
  const row = await trx
    .insertInto('audit_entries')
    .values({
      tenant_id: fields.tenantId,
      seq: fields.seq,
      id: fields.id,
      occurred_at: fields.occurredAt,
      actor_type: fields.actorType,
      actor_id: fields.actorId,
      actor_label: fields.actorLabel,
      source_ip: fields.sourceIp,
      user_agent: fields.userAgent,
      action: fields.action,
      target_type: fields.targetType,
      target_id: fields.targetId,
      outcome: input.outcome,
      changes: fields.changes === null ? null : JSON.stringify(fields.changes),
      detail: fields.detail === null ? null : JSON.stringify(fields.detail),
      prev_hash: prevHash,
      hash,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return auditEntryOf(row);
}

/** The newest entry of a chain (its seq and hash), or undefined for an empty chain. */
export async function findChainHead(db: Db, tenantId: string): Promise<{ seq: number; hash: string } | undefined> {
  const row = await db
    .selectFrom('audit_entries')
    .select(['seq', 'hash'])
    .where('tenant_id', '=', tenantId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
}

/** A chain's entries in seq order, `limit` at a time after `afterSeq` (0 for the start): what verify walks. */
export async function listChainEntries(db: Db, tenantId: string, afterSeq: number, limit: number): Promise<AuditEntry[]> {
  const rows = await db
    .selectFrom('audit_entries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('seq', '>', String(afterSeq))
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(auditEntryOf);
}

/** Every tenant id that has a chain (including SERVICE_WIDE when it has entries). */
export async function listChainTenants(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('audit_entries').select('tenant_id').distinct().orderBy('tenant_id').modifyEnd(fanOut('audit-chains-scan')).execute();
  return rows.map((r) => r.tenant_id);
}

/** The newest purge record of a chain, whose detail says where the remaining chain starts. */
export async function findLatestPurgeEntry(db: Db, tenantId: string, purgeAction: string): Promise<AuditEntry | undefined> {
  const row = await db
    .selectFrom('audit_entries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('action', '=', purgeAction)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? auditEntryOf(row) : undefined;
}

export function auditEntryOf(row: AuditEntryRow): AuditEntry {
  const actor: AuditEntry['actor'] = { type: row.actor_type as AuditEntry['actor']['type'] };
  if (row.actor_id !== null) actor.id = row.actor_id;
  if (row.actor_label !== null) actor.label = row.actor_label;
  if (row.source_ip !== null) actor.sourceIp = row.source_ip;
  if (row.user_agent !== null) actor.userAgent = row.user_agent;
  return {
    tenantId: row.tenant_id,
    seq: Number(row.seq),
    id: row.id,
    occurredAt: row.occurred_at,
    actor,
    action: row.action,
    target: row.target_type !== null && row.target_id !== null ? { type: row.target_type, id: row.target_id } : null,
    outcome: row.outcome,
    changes: (row.changes as AuditEntry['changes']) ?? null,
    detail: row.detail ?? null,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The fields of a stored entry as the chain hashes them: what verify recomputes the hash from. */
export function hashedFieldsOf(entry: AuditEntry): HashedFields {
  return {
    tenantId: entry.tenantId,
    seq: entry.seq,
    id: entry.id,
    occurredAt: entry.occurredAt.toISOString(),
    actorType: entry.actor.type,
    actorId: entry.actor.id ?? null,
    actorLabel: entry.actor.label ?? null,
    sourceIp: entry.actor.sourceIp ?? null,
    userAgent: entry.actor.userAgent ?? null,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    outcome: entry.outcome,
    changes: entry.changes,
    detail: entry.detail,
  };
}

function text(value: string | undefined): string | null {
  return value === undefined ? null : storable(value.slice(0, MAX_TEXT));
}

/**
 * Text as PostgreSQL will keep it: no NUL (text and jsonb refuse it: a 500 for a form field carrying one), lone
 * surrogates made well-formed (the driver would send U+FFFD, and the stored text would no longer match its hash),
 * and secret-shaped text redacted.
 */
function storable(value: string): string {
  return redactSecrets(value.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD'));
}

/**
 * The JSON exactly as jsonb will hand it back (undefined dropped, dates as text, NUL removed since jsonb refuses
 * it), so the hash computed now matches the one verify recomputes from the stored row; secret-shaped text redacted.
 */
function asStoredJson(value: Record<string, unknown> | undefined): unknown {
  if (value === undefined) return null;
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? storable(v) : v));
  return JSON.parse(json) as unknown;
}
