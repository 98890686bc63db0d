import type { ProvisioningLogRow } from '../store/tables.js';
import type { AttributeChange, Operation, Outcome } from './entry.js';

/** An entry as read back: what entry.ts describes plus its id, in the shape the admin API and CLI print. */
export interface StoredEntry {
  id: string;
  tenantId: string;
  occurredAt: string;
  clientId: string | null;
  requestId: string | null;
  operation: Operation;
  target: { id: string | null; userName: string | null; externalId: string | null };
  httpStatus: number;
  outcome: Outcome;
  scimType: string | null;
  detail: string | null;
  changes: AttributeChange[] | null;
  durationMs: number;
}

/** A provisioning-log row as the store returns it (one definition, in store/tables.ts). */
export type EntryRow = ProvisioningLogRow;

export function toStoredEntry(row: EntryRow): StoredEntry {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    clientId: row.client_id,
    requestId: row.request_id,
    operation: row.operation as Operation,
    target: { id: row.target_id, userName: row.target_user_name, externalId: row.target_external_id },
    httpStatus: row.http_status,
    outcome: row.outcome,
    scimType: row.scim_type,
    detail: row.detail,
    changes: Array.isArray(row.changes) ? (row.changes as AttributeChange[]) : null,
    durationMs: row.duration_ms,
  };
}

export const CSV_COLUMNS = [
  'id',
  'occurred_at',
  'tenant_id',
  'client_id',
  'request_id',
  'operation',
  'target_id',
  'target_user_name',
  'target_external_id',
  'http_status',
  'outcome',
  'scim_type',
  'detail',
  'changes',
  'duration_ms',
] as const;

/**
 * RFC 4180 quoting, and a leading quote on text that a spreadsheet would run as a formula (userName and
 * detail come from Entra, i.e. from outside): OWASP's CSV-injection advice.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

export function csvLine(e: StoredEntry): string {
  return (
    [
      e.id,
      e.occurredAt,
      e.tenantId,
      e.clientId,
      e.requestId,
      e.operation,
      e.target.id,
      e.target.userName,
      e.target.externalId,
      e.httpStatus,
      e.outcome,
      e.scimType,
      e.detail,
      e.changes === null ? null : JSON.stringify(e.changes),
      e.durationMs,
    ]
      .map(csvCell)
      .join(',') + '\r\n'
  );
}

export const ndjsonLine = (e: StoredEntry): string => `${JSON.stringify(e)}\n`;
