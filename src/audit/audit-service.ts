import type { Kysely, Transaction } from 'kysely';
import { appendAuditEntry } from '../store/audit-entries.js';
import type { DB } from '../store/tables.js';
import type { AuditActor, AuditEntry, AuditEntryInput, AuditTarget } from './audit-entry.js';

/**
 * The audit writer for edges that own no transaction of their own (console sign-in, a refusal answered before
 * any change): routes cannot reach the store, so they come through here. A change with a transaction writes its
 * entry with appendAuditEntry inside it instead.
 */
export function recordAuditEntry(db: Kysely<DB> | Transaction<DB>, entry: AuditEntryInput): Promise<AuditEntry> {
  return appendAuditEntry(db, entry);
}

/**
 * Records a refused or failed action after its change rolled back, then rethrows the error that stopped it, so a
 * service can write `catch (err) { return refuse(…, err) }` and its caller sees the same error as before.
 * Only errors the caller names as the operator's (validation, unknown id) are recorded: a crash is not an action.
 * Inside a caller's transaction nothing is written: that transaction fails with the error (and may already be
 * aborted), so the caller who owns it records the refusal once it has rolled back.
 */
export async function recordRefusal(
  db: Kysely<DB>,
  err: unknown,
  isOperatorError: (err: unknown) => boolean,
  entry: { tenantId: string; actor: AuditActor; action: string; target?: AuditTarget | undefined; detail?: Record<string, unknown> },
): Promise<never> {
  if (isOperatorError(err) && !db.isTransaction) {
    await appendAuditEntry(db, { ...entry, outcome: 'failure', detail: { ...entry.detail, reason: (err as Error).message } });
  }
  throw err;
}
