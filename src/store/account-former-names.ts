import type { Kysely, Transaction } from 'kysely';
import { fanOut } from './distribution.js';
import { prepared } from './prepared-statements.js';
import type { DB } from './tables.js';

/**
 * Keeps the names an account stops carrying (renamed, or deleted), in the transaction that changes them.
 * The provisioning log finds a successful entry by its user id, so a search by a name the account no longer
 * has goes through here (store/provisioning-log-queries.ts).
 */
export async function recordFormerNames(
  trx: Transaction<DB>,
  tenantId: string,
  accountId: string,
  names: { userName: string; externalId: string | null },
  until: Date,
): Promise<void> {
  await trx
    .insertInto('account_former_names')
    .values({ tenant_id: tenantId, account_id: accountId, user_name: names.userName, external_id: names.externalId, until })
    .modifyEnd(prepared)
    .execute();
}

/** Former names dropped before `cutoff`: every entry that carried them is older, so the purge took those. */
export async function purgeFormerNames(db: Kysely<DB>, cutoff: Date): Promise<number> {
  const result = await db.deleteFrom('account_former_names').where('until', '<', cutoff).modifyEnd(fanOut('retention-purge')).executeTakeFirst();
  return Number(result.numDeletedRows);
}
