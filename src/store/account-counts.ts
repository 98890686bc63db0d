import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { prepared } from './prepared-statements.js';
import type { DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * Issue 14: a tenant's account count, kept exact by the statements that insert and delete accounts, so an
 * unfiltered `GET /Users` reads its totalResults (RFC 7644 §3.4.2) from one row instead of counting every account.
 * No trigger keeps it (Citus refuses triggers on distributed tables): each writer carries one of the CTEs below,
 * so an account and its count commit together or not at all.
 */

/**
 * The CTE body that counts the row an insert's `cte` returned (none when `on conflict do nothing` skipped it); the
 * tenant is the parameter, as the insert returns only the answer's columns.
 * The upsert locks the tenant's counter row until the insert commits: recountAccounts relies on that.
 */
export const countInserted = (cte: string, tenantId: string): RawBuilder<unknown> => sql`
  insert into account_counts (tenant_id, accounts) select ${tenantId}::uuid, 1 from ${sql.table(cte)}
  on conflict (tenant_id) do update set accounts = account_counts.accounts + 1`;

/**
 * The CTE body that uncounts the row a delete's `cte` returned. Never below zero: while replicas of the previous
 * version still insert without counting, a count may be short, and the delete must not fail on the check for it;
 * the hourly recount repairs the drift.
 */
export const countDeleted = (cte: string, tenantId: string): RawBuilder<unknown> => sql`
  update account_counts set accounts = greatest(accounts - 1, 0)
  where tenant_id = ${tenantId} and exists (select 1 from ${sql.table(cte)})`;

/** The tenant's account count as its counter row says; 0 when it has none (no account was ever counted). */
export async function countedAccounts(db: Db, tenantId: string): Promise<number> {
  const row = await db.selectFrom('account_counts').select('accounts').where('tenant_id', '=', tenantId).modifyEnd(prepared).executeTakeFirst();
  return row === undefined ? 0 : Number(row.accounts);
}

export interface Recount {
  /** What the counter said, and what it says now (the accounts counted). */
  before: number;
  after: number;
}

/**
 * Sets the tenant's counter to its accounts counted afresh, repairing drift left by writers that did not count
 * (replicas of the previous version during a rolling update). Undefined when the tenant is gone.
 *
 * Race-free under READ COMMITTED: the counter row is locked first, and counted in a later statement, whose
 * snapshot is taken after the lock is held. A counting insert or delete that committed before that snapshot is
 * in the count; one not yet committed either already bumped the counter (and holds its lock, so we waited for
 * its commit) or will bump it after we commit, on top of the fresh count.
 */
export async function recountAccounts(db: Kysely<DB>, tenantId: string): Promise<Recount | undefined> {
  return db
    .transaction()
    .setIsolationLevel('read committed')
    .execute(async (trx) => {
      // Only for a tenant that exists, so a tenant deleted meanwhile is skipped rather than refused by the key.
      await sql`insert into account_counts (tenant_id, accounts) select ${tenantId}::uuid, 0 from tenants where id = ${tenantId}
        on conflict (tenant_id) do nothing`.execute(trx);
      const locked = await trx.selectFrom('account_counts').select('accounts').where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
      if (locked === undefined) return undefined;
      // One statement counts and writes: its snapshot is taken after the lock above is held.
      const counted = await sql<{ accounts: string | number }>`update account_counts
        set accounts = (select count(*) from accounts where tenant_id = ${tenantId})
        where tenant_id = ${tenantId} returning accounts`.execute(trx);
      const [row] = counted.rows;
      return row === undefined ? undefined : { before: Number(locked.accounts), after: Number(row.accounts) };
    });
}
