import type { Kysely, Transaction } from 'kysely';
import type { DB } from './tables.js';

/**
 * Runs `work` in the caller's transaction when given one (so a change and its audit entry commit with whatever
 * the caller is doing, e.g. first-run setup), else in a new one. PGlite has no savepoints, so never nests.
 */
export function inTransaction<T>(db: Kysely<DB> | Transaction<DB>, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<DB>) : db.transaction().execute(work);
}
