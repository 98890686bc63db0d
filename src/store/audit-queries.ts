import { sql, type CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { fanOut } from './distribution.js';
import type { AuditEntryRow, DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/** What operators filter the audit trail by; every field narrows. */
export interface AuditFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  /** An actor id (admin token id, OIDC subject, OS user, job) exactly, or an actor label (e-mail) ignoring case. */
  actor?: string | undefined;
  /** An action exactly, or, ending in '.', every action under that prefix ('oauth_client.'). */
  action?: string | undefined;
  /** A target id, or `type:id`. */
  target?: string | undefined;
  outcome?: 'success' | 'failure' | 'refused' | undefined;
}

/**
 * A place in the read order (occurred_at, tenant_id, seq). The time is in microseconds since the epoch, as
 * PostgreSQL stores it (a JavaScript Date would round it and skip or repeat entries within a millisecond); the
 * tenant is part of it because seq counts per tenant.
 */
export interface AuditPosition {
  occurredAtUs: string;
  tenantId: string;
  seq: string;
}

export type Direction = 'newest-first' | 'oldest-first';

/** `tenantId`: one chain (a tenant's or the service-wide one); `every`: all of them (service-wide admins, the CLI). */
export type AuditScope = { tenantId: string } | 'every';

export type AuditReadRow = AuditEntryRow & { occurred_us: string };

/** LIKE's own characters in a user's prefix match themselves. */
const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const TYPED_TARGET = /^([a-z][a-z0-9_]*):(.+)$/;

const positionTime = (p: AuditPosition) => sql`(timestamptz 'epoch' + ${p.occurredAtUs}::bigint * interval '1 microsecond')`;

/**
 * One page in (occurred_at, tenant_id, seq) order, strictly after `after`. Keyset paging: entries written
 * meanwhile never shift a page or make it repeat. One chain walks audit_entries_read (tenant first); every chain
 * walks audit_entries_by_time (migration 2026-12-05-0700).
 */
export async function findAuditEntries(
  db: Db,
  scope: AuditScope,
  filter: AuditFilter,
  page: { after?: AuditPosition | undefined; limit: number; direction: Direction },
): Promise<AuditReadRow[]> {
  return (await db.executeQuery(auditPageQuery(db, scope, filter, page))).rows;
}

/** The statement findAuditEntries runs, compiled but not run: its plan is what the index test looks at. */
export function auditPageQuery(
  db: Db,
  scope: AuditScope,
  filter: AuditFilter,
  page: { after?: AuditPosition | undefined; limit: number; direction: Direction },
): CompiledQuery<AuditReadRow> {
  let q = db
    .selectFrom('audit_entries')
    .selectAll()
    .select(sql<string>`(extract(epoch from occurred_at) * 1000000)::bigint::text`.as('occurred_us'));
  q = scope === 'every' ? q.modifyEnd(fanOut('service-wide-audit-read')) : q.where('tenant_id', '=', scope.tenantId);
  if (filter.from) q = q.where('occurred_at', '>=', filter.from);
  if (filter.to) q = q.where('occurred_at', '<', filter.to);
  if (filter.outcome) q = q.where('outcome', '=', filter.outcome);
  const { actor, action, target } = filter;
  if (actor !== undefined) q = q.where((eb) => eb.or([eb('actor_id', '=', actor), eb(sql`lower(actor_label)`, '=', actor.toLowerCase())]));
  if (action !== undefined) q = action.endsWith('.') ? q.where(sql<boolean>`action like ${likePrefix(action)}`) : q.where('action', '=', action);
  if (target !== undefined) {
    const typed = TYPED_TARGET.exec(target);
    // An id may itself hold a colon, so `a:b` also matches a target whose id is `a:b`.
    q = typed
      ? q.where((eb) => eb.or([eb.and([eb('target_type', '=', typed[1] ?? ''), eb('target_id', '=', typed[2] ?? '')]), eb('target_id', '=', target)]))
      : q.where('target_id', '=', target);
  }
  const newestFirst = page.direction === 'newest-first';
  const cmp = sql.raw(newestFirst ? '<' : '>');
  const after = page.after;
  if (after) {
    q =
      scope === 'every'
        ? q.where(sql<boolean>`(occurred_at, tenant_id, seq) ${cmp} (${positionTime(after)}, ${after.tenantId}::uuid, ${after.seq}::bigint)`)
        : q.where(sql<boolean>`(occurred_at, seq) ${cmp} (${positionTime(after)}, ${after.seq}::bigint)`);
  }
  const order = newestFirst ? 'desc' : 'asc';
  return q.orderBy('occurred_at', order).orderBy('tenant_id', order).orderBy('seq', order).limit(page.limit).compile() as CompiledQuery<AuditReadRow>;
}

/** The chains holding entries older than `cutoff`, the ones a purge has work in. */
export async function chainsWithEntriesBefore(db: Db, cutoff: Date): Promise<string[]> {
  const rows = await db.selectFrom('audit_entries').select('tenant_id').distinct().where('occurred_at', '<', cutoff).modifyEnd(fanOut('audit-chains-scan')).execute();
  return rows.map((r) => r.tenant_id);
}

export interface PurgedPrefix {
  deleted: number;
  /** The last entry deleted (highest seq); undefined when nothing went. */
  last?: { seq: number; hash: string; occurredAt: Date } | undefined;
}

/**
 * Deletes the oldest entries of one chain, at most `limit`, stopping at the first one not older than `cutoff`:
 * always a prefix of seq, never a hole, as src/audit/chain.ts requires (an older-looking entry after a younger
 * one waits for a later purge). Must run in the transaction that records the purge in the same chain.
 */
export async function deleteChainPrefix(trx: Transaction<DB>, tenantId: string, cutoff: Date, limit: number): Promise<PurgedPrefix> {
  const result = await sql<{ seq: string; hash: string; occurred_at: Date }>`
    with head as (
      select seq, bool_and(occurred_at < ${cutoff}) over (order by seq) as all_old
      from (select seq, occurred_at from audit_entries where tenant_id = ${tenantId} order by seq limit ${limit}) as first_entries
    )
    delete from audit_entries
    where tenant_id = ${tenantId} and seq in (select seq from head where all_old)
    returning seq, hash, occurred_at`.execute(trx);
  let last: PurgedPrefix['last'];
  for (const row of result.rows) {
    const seq = Number(row.seq);
    if (!last || seq > last.seq) last = { seq, hash: row.hash, occurredAt: new Date(row.occurred_at) };
  }
  return { deleted: result.rows.length, last };
}
