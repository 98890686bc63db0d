import type { Kysely, Transaction } from 'kysely';
import { prepared } from './prepared-statements.js';
import type { DB, NewProvisioningLogRow } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * Appends one provisioning-log entry. A write passes its own transaction so the entry commits (or rolls
 * back) with the change it describes. Reading the log lives in provisioning-log-queries.ts.
 */
export async function insertProvisioningLogEntry(db: Db, tenantId: string, row: Omit<NewProvisioningLogRow, 'tenant_id'>): Promise<void> {
  await db.insertInto('provisioning_log').values({ ...row, tenant_id: tenantId }).modifyEnd(prepared).execute();
}

/** Appends many entries (of any tenants) in one statement; the read-entry batcher uses it. */
export async function insertProvisioningLogEntries(db: Db, rows: NewProvisioningLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto('provisioning_log').values(rows).execute();
}
