import type { Kysely } from 'kysely';
import type { AuditActor, AuditEntry, AuditEntryInput } from '../../src/audit/audit-entry.js';
import { appendAuditEntry } from '../../src/store/audit-entries.js';
import type { DB } from '../../src/store/tables.js';

export const OPS: AuditActor = { type: 'admin_token', id: 'tok-ops', label: 'Ops@MSP.example', sourceIp: '192.0.2.10', userAgent: 'curl/8.5' };

/**
 * One entry through the real writer (so the chain is real), at a given time. Tests seed in 2025, before anything
 * the services themselves record (the test clock starts 2026-01-15), and read with `to` = SEEDED_BEFORE.
 */
export async function seedAudit(
  db: Kysely<DB>,
  tenantId: string,
  at: string,
  entry: Partial<Omit<AuditEntryInput, 'tenantId' | 'occurredAt'>> = {},
): Promise<AuditEntry> {
  return appendAuditEntry(db, {
    tenantId,
    actor: entry.actor ?? OPS,
    action: entry.action ?? 'tenant.rename',
    target: entry.target,
    outcome: entry.outcome ?? 'success',
    changes: entry.changes,
    detail: entry.detail,
    occurredAt: new Date(at),
  });
}

export const SEEDED_BEFORE = '2025-12-31T00:00:00Z';
