import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Deps } from '../deps.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { recountAccounts } from '../store/account-counts.js';
import { listTenants } from '../store/tenants.js';

/** The scheduler's job name. */
export const ACCOUNT_RECOUNT_JOB = 'scim.account-recount';
/** Hourly, off the hour and away from the daily purges (03:17, 03:47), so it does not queue behind them. */
export const ACCOUNT_RECOUNT_CRON = '29 * * * *';

export interface AccountRecountResult {
  tenants: number;
  /** Tenants whose counter had drifted: what it said and what it says now. */
  repaired: Record<string, { before: number; after: number }>;
  /** Tenants whose recount failed (logged; the next hour tries again). */
  failed: string[];
}

/**
 * Keeps each tenant's account counter (the unfiltered SCIM list's totalResults, issue 14) exact over time. The
 * statements that insert and delete accounts count them, but replicas still running the previous version during
 * a rolling update write without counting: the hourly recount repairs what they left, tenant by tenant, each in
 * its own short transaction with a yield between, so requests keep flowing.
 */
export function createAccountRecountService(deps: Pick<Deps, 'database' | 'log'>) {
  const db = deps.database.db;
  return {
    async recountAll(): Promise<AccountRecountResult> {
      const started = Date.now();
      const tenants = await listTenants(db);
      const result: AccountRecountResult = { tenants: tenants.length, repaired: {}, failed: [] };
      for (const tenant of tenants) {
        try {
          const recount = await recountAccounts(db, tenant.id);
          if (recount && recount.before !== recount.after) result.repaired[tenant.id] = recount;
        } catch (err) {
          // One tenant's failure (a tenant deleted meanwhile, a lost connection) must not stop the others' repair.
          result.failed.push(tenant.id);
          deps.log.warn({ event: ACCOUNT_RECOUNT_JOB, tenantId: tenant.id, err: { message: err instanceof Error ? err.message : String(err) } }, 'account recount failed');
        }
        await yieldToEventLoop();
      }
      deps.log.info({ event: ACCOUNT_RECOUNT_JOB, ...result, durationMs: Date.now() - started }, 'account counts recounted');
      return result;
    },
  };
}

export type AccountRecountService = ReturnType<typeof createAccountRecountService>;

export const accountRecountServiceOf = (deps: Deps): AccountRecountService => createAccountRecountService({ database: deps.database, log: deps.log });

/** On PostgreSQL pg-boss runs it once across replicas; a rerun (at-least-once delivery) just counts again. */
export async function registerAccountRecountJob(scheduler: Pick<Scheduler, 'register'>, recount: AccountRecountService): Promise<void> {
  await scheduler.register(ACCOUNT_RECOUNT_JOB, ACCOUNT_RECOUNT_CRON, 'UTC', async () => {
    await recount.recountAll();
  });
}
