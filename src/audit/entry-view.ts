import { csvCell } from '../provisioning-log/stored-entry.js';
import type { AuditReadRow } from '../store/audit-queries.js';

/** An audit entry as the admin API, the console and the CLI show it (store rows stop at the service). */
export interface AuditEntryView {
  id: string;
  /** The chain it belongs to: a tenant, or 00000000-0000-0000-0000-000000000000 for service-wide actions. */
  tenantId: string;
  seq: number;
  occurredAt: string;
  actor: { type: string; id: string | null; label: string | null; sourceIp: string | null; userAgent: string | null };
  action: string;
  target: { type: string | null; id: string | null } | null;
  outcome: 'success' | 'failure' | 'refused';
  changes: Record<string, unknown> | null;
  detail: Record<string, unknown> | null;
  /** The chain links, so an auditor holding an export can check it without the database. */
  prevHash: string | null;
  hash: string;
}

const objectOrNull = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

export function toAuditView(row: AuditReadRow): AuditEntryView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    seq: Number(row.seq),
    occurredAt: new Date(row.occurred_at).toISOString(),
    actor: { type: row.actor_type, id: row.actor_id, label: row.actor_label, sourceIp: row.source_ip, userAgent: row.user_agent },
    action: row.action,
    target: row.target_type === null && row.target_id === null ? null : { type: row.target_type, id: row.target_id },
    outcome: row.outcome,
    changes: objectOrNull(row.changes),
    detail: objectOrNull(row.detail),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export const AUDIT_CSV_COLUMNS = [
  'occurred_at',
  'tenant_id',
  'seq',
  'id',
  'actor_type',
  'actor_id',
  'actor_label',
  'source_ip',
  'user_agent',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'changes',
  'detail',
  'prev_hash',
  'hash',
] as const;

export const auditCsvHeader = (): string => `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;

const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

/**
 * One RFC 4180 line; labels, user agents and changes come from people and browsers, so the provisioning log's
 * cell quoting (formula-looking text gets a leading quote: OWASP CSV injection) applies here too.
 */
export function auditCsvLine(e: AuditEntryView): string {
  return (
    [
      e.occurredAt,
      e.tenantId,
      e.seq,
      e.id,
      e.actor.type,
      e.actor.id,
      e.actor.label,
      e.actor.sourceIp,
      e.actor.userAgent,
      e.action,
      e.target?.type ?? null,
      e.target?.id ?? null,
      e.outcome,
      json(e.changes),
      json(e.detail),
      e.prevHash,
      e.hash,
    ]
      .map(csvCell)
      .join(',') + '\r\n'
  );
}

export const auditNdjsonLine = (e: AuditEntryView): string => `${JSON.stringify(e)}\n`;
