import type { Kysely } from 'kysely';
import type { AuditActor, AuditTarget } from '../audit/audit-entry.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import type { DB } from '../store/tables.js';
import { NcentralServiceError } from './service-error.js';

/**
 * Runs an audited N-central action; when the service refuses it (bad input, not connected, already running…),
 * writes one failure entry in its own transaction, after the change rolled back, and rethrows (issue 19).
 * Other errors are bugs or outages, not an operator's action refused, and stay the error log's.
 */
export async function auditedAction<T>(
  db: Kysely<DB>,
  what: { tenantId: string; actor: AuditActor; action: string; target: AuditTarget },
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof NcentralServiceError) {
      await appendAuditEntry(db, { ...what, outcome: 'failure', detail: { reason: err.code, message: err.message } });
    }
    throw err;
  }
}
