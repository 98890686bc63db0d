import type { NewProvisioningLogRow } from '../store/tables.js';
import type { Operation, ProvisioningLogEntry } from './entry.js';

/** A PATCH is named by what it did to `active` (Entra's soft delete): true→false Disable, false→true Enable. */
export function patchOperation(activeBefore: boolean | undefined, activeAfter: boolean | undefined): Operation {
  if (activeBefore === true && activeAfter === false) return 'Disable';
  if (activeBefore === false && activeAfter === true) return 'Enable';
  return 'Update';
}

const MAX_DETAIL_CHARS = 1000;

/** The row stored for an entry; detail is bounded like the changes. */
export function entryToRow(entry: ProvisioningLogEntry): Omit<NewProvisioningLogRow, 'tenant_id'> {
  return {
    occurred_at: entry.occurredAt,
    client_id: entry.clientId,
    request_id: entry.requestId,
    operation: entry.operation,
    target_id: entry.target.id,
    target_user_name: entry.target.userName,
    target_external_id: entry.target.externalId,
    http_status: entry.httpStatus,
    outcome: entry.outcome,
    scim_type: entry.scimType,
    detail: entry.detail === null ? null : entry.detail.slice(0, MAX_DETAIL_CHARS),
    changes: entry.changes === null ? null : JSON.stringify(entry.changes),
    duration_ms: Math.max(0, Math.round(entry.durationMs)),
  };
}
