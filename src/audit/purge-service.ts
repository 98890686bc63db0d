import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Deps } from '../deps.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import { chainsWithEntriesBefore, deleteChainPrefix } from '../store/audit-queries.js';
import { AUDIT_PURGE_ACTION, type PurgeDetail } from './chain.js';
import { systemActor } from './request-actor.js';

/** The scheduler's job name, also the actor id its entries carry. */
export const AUDIT_PURGE_JOB = 'audit.purge';
/** Daily at a quiet hour UTC, apart from the provisioning log's (03:17) so the two do not queue on one pool. */
export const AUDIT_PURGE_CRON = '47 3 * * *';

const DAY_MS = 24 * 3600_000;

export interface AuditPurgeResult {
  cutoff: string;
  deleted: number;
  /** Per chain (tenant id or SERVICE_WIDE): how many went, up to which seq and time. */
  byChain: Record<string, { deleted: number; throughSeq: number; throughOccurredAt: string }>;
}

/**
 * The audit trail's retention (AUDIT_RETENTION_DAYS). Each batch deletes a prefix of one chain and, in the same
 * transaction, appends to that chain an `audit.purge` entry saying how many went and the seq and hash of the last
 * one (src/audit/chain.ts): so the purge is itself on the record, and `audit verify` starts after it. Batches are
 * short transactions with a yield between them, so requests keep flowing while a long backlog goes.
 */
export function createAuditPurgeService(deps: Pick<Deps, 'database' | 'clock' | 'log'> & { retentionDays: number }) {
  const db = deps.database.db;
  const actor = systemActor(AUDIT_PURGE_JOB);

  async function purgeChain(tenantId: string, cutoff: Date, batchSize: number) {
    let deleted = 0;
    let through: { seq: number; occurredAt: Date } | undefined;
    for (;;) {
      const purged = await db.transaction().execute(async (trx) => {
        const prefix = await deleteChainPrefix(trx, tenantId, cutoff, batchSize);
        if (!prefix.last) return prefix;
        const detail: PurgeDetail = {
          purgedThroughSeq: prefix.last.seq,
          purgedThroughHash: prefix.last.hash,
          purged: prefix.deleted,
          purgedThroughOccurredAt: prefix.last.occurredAt.toISOString(),
          cutoff: cutoff.toISOString(),
          retentionDays: deps.retentionDays,
        };
        await appendAuditEntry(trx, { tenantId, actor, action: AUDIT_PURGE_ACTION, outcome: 'success', detail, occurredAt: deps.clock.now() });
        return prefix;
      });
      deleted += purged.deleted;
      if (purged.last) through = purged.last;
      if (purged.deleted < batchSize) return { deleted, through };
      await yieldToEventLoop();
    }
  }

  return {
    async purgeExpired(options: { batchSize?: number } = {}): Promise<AuditPurgeResult> {
      const batchSize = options.batchSize ?? 5000;
      const started = Date.now();
      const cutoff = new Date(deps.clock.now().getTime() - deps.retentionDays * DAY_MS);
      const byChain: AuditPurgeResult['byChain'] = {};
      let deleted = 0;
      for (const tenantId of await chainsWithEntriesBefore(db, cutoff)) {
        const chain = await purgeChain(tenantId, cutoff, batchSize);
        if (!chain.through) continue;
        deleted += chain.deleted;
        byChain[tenantId] = { deleted: chain.deleted, throughSeq: chain.through.seq, throughOccurredAt: chain.through.occurredAt.toISOString() };
      }
      const result = { cutoff: cutoff.toISOString(), deleted, byChain };
      deps.log.info({ event: AUDIT_PURGE_JOB, retentionDays: deps.retentionDays, ...result, durationMs: Date.now() - started }, 'audit trail purged');
      return result;
    },
  };
}

export type AuditPurgeService = ReturnType<typeof createAuditPurgeService>;

export const auditPurgeServiceOf = (deps: Deps): AuditPurgeService =>
  createAuditPurgeService({ database: deps.database, clock: deps.clock, log: deps.log, retentionDays: deps.config.auditRetentionDays });

/** On PostgreSQL pg-boss runs it once across replicas; a rerun finds nothing old enough and writes nothing. */
export async function registerAuditPurgeJob(scheduler: Pick<Scheduler, 'register'>, purge: AuditPurgeService): Promise<void> {
  await scheduler.register(AUDIT_PURGE_JOB, AUDIT_PURGE_CRON, 'UTC', async () => {
    await purge.purgeExpired();
  });
}
