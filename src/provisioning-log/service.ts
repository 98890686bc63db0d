import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { SERVICE_WIDE, type AuditActor } from '../audit/audit-entry.js';
import { systemActor } from '../audit/request-actor.js';
import type { Clock } from '../clock.js';
import type { Deps } from '../deps.js';
import type { Metrics } from '../metrics.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { AdminPrincipal } from '../http/principal.js';
import {
  findLogEntries,
  findLogEntryById,
  purgeLogBatch,
  summarizeLog,
  type Direction,
  type LogFilter,
  type LogRow,
} from '../store/provisioning-log-queries.js';
import { purgeFormerNames } from '../store/account-former-names.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import { purgeAssetChangesBatch } from '../store/asset-changes.js';
import type { DB } from '../store/tables.js';
import { decodeCursor, encodeCursor, type CursorPosition } from './cursor.js';
import { OPERATIONS, type Operation, type Outcome } from './entry.js';
import { toStoredEntry, type StoredEntry } from './stored-entry.js';

export type { LogFilter } from '../store/provisioning-log-queries.js';

interface ReadDeps {
  db: Kysely<DB>;
}

/** Who is reading: an admin principal, or the CLI (which runs with the database's own rights: every tenant). */
export type Reader = Pick<AdminPrincipal, 'tenantId'>;
export const cliReader: Reader = { tenantId: null };

/** A tenant-scoped admin asked for another tenant's entries. */
export class TenantScopeError extends Error {
  override name = 'TenantScopeError';
}

/**
 * The tenant a query runs in: a tenant-scoped admin's own, always; a service-wide admin's choice, or every
 * tenant. Any other tenant requested by a scoped admin is refused rather than silently ignored.
 */
export function tenantScope(reader: Reader, requested: string | undefined): string | undefined {
  if (reader.tenantId === null) return requested;
  if (requested !== undefined && requested !== reader.tenantId) {
    throw new TenantScopeError('This admin token may read only its own tenant.');
  }
  return reader.tenantId;
}

const positionOf = (row: LogRow): CursorPosition => ({ occurredAtUs: row.occurred_us, id: row.id });

export interface ListQuery {
  tenant?: string | undefined;
  filter: LogFilter;
  cursor?: string | undefined;
  limit: number;
}

export interface Page {
  entries: StoredEntry[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** Newest first, one page; the cursor throws InvalidCursorError when it is not one we issued. */
export async function listEntries(deps: ReadDeps, reader: Reader, query: ListQuery): Promise<Page> {
  const tenantId = tenantScope(reader, query.tenant);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await findLogEntries(deps.db, tenantId, query.filter, { after, limit: query.limit + 1, direction: 'newest-first' });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    entries: page.map(toStoredEntry),
    nextCursor: rows.length > query.limit && last ? encodeCursor(positionOf(last)) : null,
  };
}

const ENTRY_ID = /^\d{1,18}$/;

/** One entry by id, only within the reader's tenant: another tenant's id is simply not found. */
export async function getEntry(deps: ReadDeps, reader: Reader, id: string): Promise<StoredEntry | undefined> {
  if (!ENTRY_ID.test(id)) return undefined;
  const row = await findLogEntryById(deps.db, tenantScope(reader, undefined), id);
  return row ? toStoredEntry(row) : undefined;
}

/**
 * Every matching entry, oldest first, read in keyset batches of `batchSize`: memory stays one batch however
 * long the range, no connection or snapshot is held while a slow client downloads, and it works the same on
 * PGlite (one connection) as on PostgreSQL. A consumer that stops pulling stops the reads (backpressure).
 */
export async function* exportEntries(
  deps: ReadDeps,
  reader: Reader,
  query: { tenant?: string | undefined; filter: LogFilter },
  batchSize = 1000,
): AsyncGenerator<StoredEntry> {
  const tenantId = tenantScope(reader, query.tenant);
  let after: CursorPosition | undefined;
  for (;;) {
    const rows = await findLogEntries(deps.db, tenantId, query.filter, { after, limit: batchSize, direction: 'oldest-first' });
    for (const row of rows) yield toStoredEntry(row);
    const last = rows.at(-1);
    if (rows.length < batchSize || !last) return;
    after = positionOf(last);
  }
}

/**
 * Entries after `position` in write order, oldest first, for `logs tail`; with no position, the newest one's
 * position (so tailing starts from now). Returns the position to poll from next.
 */
export async function entriesSince(
  deps: ReadDeps,
  reader: Reader,
  query: { tenant?: string | undefined; filter: LogFilter },
  position: string | undefined,
  limit = 500,
): Promise<{ entries: StoredEntry[]; position: string | undefined }> {
  const tenantId = tenantScope(reader, query.tenant);
  if (position === undefined) {
    const [newest] = await findLogEntries(deps.db, tenantId, query.filter, { limit: 1, direction: 'newest-first' });
    return { entries: [], position: newest ? encodeCursor(positionOf(newest)) : undefined };
  }
  const rows = await findLogEntries(deps.db, tenantId, query.filter, {
    after: decodeCursor(position),
    limit,
    direction: 'oldest-first' satisfies Direction,
  });
  const last = rows.at(-1);
  return { entries: rows.map(toStoredEntry), position: last ? encodeCursor(positionOf(last)) : position };
}

/** A `entriesSince` position just before `at`: tailing from it starts with the first entry at or after `at`. */
export const positionBefore = (at: Date): string => encodeCursor({ occurredAtUs: String(at.getTime() * 1000), id: '0' });

type OutcomeCounts = Record<Outcome, number>;

export interface Summary {
  from: string;
  to: string;
  totals: OutcomeCounts;
  byOperation: Record<string, OutcomeCounts>;
  hours: Array<{ hour: string; totals: OutcomeCounts; byOperation: Record<string, OutcomeCounts> }>;
}

const HOUR = 3600_000;
const zero = (): OutcomeCounts => ({ success: 0, failure: 0 });

/** Counts by outcome and operation for every UTC hour of [from, to), empty hours included (charts need them). */
export async function summarize(
  deps: ReadDeps,
  reader: Reader,
  query: { tenant?: string | undefined; from: Date; to: Date },
): Promise<Summary> {
  const tenantId = tenantScope(reader, query.tenant);
  const rows = await summarizeLog(deps.db, tenantId, query.from, query.to);
  const hours = new Map<string, Summary['hours'][number]>();
  for (let t = Math.floor(query.from.getTime() / HOUR) * HOUR; t < query.to.getTime(); t += HOUR) {
    const hour = new Date(t).toISOString().replace('.000Z', 'Z');
    hours.set(hour, { hour, totals: zero(), byOperation: {} });
  }
  const totals = zero();
  const byOperation: Record<string, OutcomeCounts> = {};
  for (const row of rows) {
    const bucket = hours.get(row.hour);
    if (!bucket) continue;
    bucket.totals[row.outcome] += row.count;
    (bucket.byOperation[row.operation] ??= zero())[row.outcome] += row.count;
    totals[row.outcome] += row.count;
    (byOperation[row.operation] ??= zero())[row.outcome] += row.count;
  }
  return { from: query.from.toISOString(), to: query.to.toISOString(), totals, byOperation, hours: [...hours.values()] };
}

export const isOperation = (value: string): value is Operation => (OPERATIONS as readonly string[]).includes(value);

export interface PurgeDeps {
  db: Kysely<DB>;
  clock: Clock;
  log: Logger;
  retentionDays: number;
  metrics?: Pick<Metrics, 'recordPurge'>;
  /** Who the audit trail names for the purge: the scheduler's job, or the CLI's user for `logs purge`. */
  actor?: AuditActor;
}

/** The purge's dependencies from the process's own. */
export const purgeDepsOf = (deps: Deps): PurgeDeps => ({
  db: deps.database.db,
  clock: deps.clock,
  log: deps.log,
  retentionDays: deps.config.retentionDays,
  metrics: deps.metrics,
});

export interface PurgeResult {
  cutoff: string;
  deleted: number;
  batches: number;
  byTenant: Record<string, number>;
  /** Former user names dropped with the entries that carried them (store/account-former-names.ts). */
  formerNames: number;
  /** Sync runs' asset change records past the same retention (issue 13), purged the same way. */
  assetChanges: { deleted: number; batches: number; byTenant: Record<string, number> };
}

type BatchPurge = (db: Kysely<DB>, cutoff: Date, batchSize: number) => Promise<Array<{ tenantId: string; deleted: number }>>;

/** What the audit trail records of one purge (issue 19): who ran it, the cutoff, and which table. */
interface PurgeAudit {
  db: Kysely<DB>;
  actor: AuditActor;
  cutoff: Date;
  at: Date;
  table: 'provisioning_log' | 'asset_changes' | 'account_former_names';
}

/**
 * Runs one table's batch purge until a batch comes back short, yielding between batches so requests keep flowing.
 * Each batch and the audit entries saying what it deleted (one per tenant that lost rows) commit together.
 */
async function purgeInBatches(purge: BatchPurge, audit: PurgeAudit, batchSize: number) {
  const byTenant: Record<string, number> = {};
  let deleted = 0;
  let batches = 0;
  for (;;) {
    const counts = await audit.db.transaction().execute(async (trx) => {
      const gone = await purge(trx, audit.cutoff, batchSize);
      for (const { tenantId, deleted: n } of gone) {
        if (n > 0) await recordPurge(trx, audit, tenantId, { deleted: n, batch: batches + 1 });
      }
      return gone;
    });
    batches += 1;
    let inBatch = 0;
    for (const { tenantId, deleted: n } of counts) {
      byTenant[tenantId] = (byTenant[tenantId] ?? 0) + n;
      inBatch += n;
    }
    deleted += inBatch;
    if (inBatch < batchSize) break;
    await yieldToEventLoop();
  }
  return { deleted, batches, byTenant };
}

function recordPurge(db: Kysely<DB>, audit: PurgeAudit, tenantId: string, counts: Record<string, number>) {
  return appendAuditEntry(db, {
    tenantId,
    actor: audit.actor,
    action: 'provisioning_log.purge',
    target: { type: 'table', id: audit.table },
    outcome: 'success',
    detail: { cutoff: audit.cutoff.toISOString(), ...counts },
    occurredAt: audit.at,
  });
}

/**
 * Deletes entries older than the retention period in small batches, each its own short statement, yielding
 * between batches so requests keep flowing; logs one line with the counts (who lost what, up to when).
 */
export async function purgeExpiredEntries(deps: PurgeDeps, options: { batchSize?: number } = {}): Promise<PurgeResult> {
  const batchSize = options.batchSize ?? 5000;
  const started = Date.now();
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - deps.retentionDays * 24 * HOUR);
  const audit = { db: deps.db, actor: deps.actor ?? systemActor(PURGE_JOB), cutoff, at: now };
  const { deleted, batches, byTenant } = await purgeInBatches(purgeLogBatch, { ...audit, table: 'provisioning_log' }, batchSize);
  // Former names carry no tenant count back: one service-wide entry says how many went, with the summary.
  const formerNames = await deps.db.transaction().execute(async (trx) => {
    const n = await purgeFormerNames(trx, cutoff);
    await recordPurge(trx, { ...audit, table: 'account_former_names' }, SERVICE_WIDE, {
      deleted: n,
      provisioningLogDeleted: deleted,
      tenants: Object.keys(byTenant).length,
    });
    return n;
  });
  const assetChanges = await purgeInBatches(purgeAssetChangesBatch, { ...audit, table: 'asset_changes' }, batchSize);
  const result = { cutoff: cutoff.toISOString(), deleted, batches, byTenant, formerNames, assetChanges };
  deps.metrics?.recordPurge(deleted);
  deps.log.info(
    { event: 'provisioning-log.purge', retentionDays: deps.retentionDays, ...result, durationMs: Date.now() - started },
    'provisioning log purged',
  );
  return result;
}

/** Daily, at a quiet hour UTC; on PostgreSQL pg-boss runs it once across replicas, and a rerun deletes nothing new. */
export const PURGE_JOB = 'provisioning-log.purge';
export const PURGE_CRON = '17 3 * * *';

export async function registerPurgeJob(scheduler: Pick<Scheduler, 'register'>, deps: PurgeDeps): Promise<void> {
  await scheduler.register(PURGE_JOB, PURGE_CRON, 'UTC', async () => {
    await purgeExpiredEntries(deps);
  });
}
