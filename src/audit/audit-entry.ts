/**
 * What an audit entry says (issue 19): who did what to which thing, from where, with what outcome, and the change
 * as old → new for fields that are not secret. Secrets never appear in an entry, not even hashed.
 */

/** The chain of actions that belong to no tenant (admin tokens of the service, key rotation, purges…). */
export const SERVICE_WIDE = '00000000-0000-0000-0000-000000000000';

export type AuditActorType = 'admin_token' | 'console' | 'oidc' | 'cli' | 'system' | 'setup' | 'anonymous';
export type AuditOutcome = 'success' | 'failure' | 'refused';

export interface AuditActor {
  type: AuditActorType;
  /** Admin token id, OIDC subject, OS user for the CLI, job name for the system. */
  id?: string | undefined;
  /** E-mail or display name where there is one. */
  label?: string | undefined;
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
}

export interface AuditTarget {
  type: string;
  id: string;
}

/** A field's value before and after; only for fields that are not secret (src/audit/changes.ts). */
export type AuditChanges = Record<string, { old: unknown; new: unknown }>;

export interface AuditEntryInput {
  /** The tenant whose chain the entry joins, or SERVICE_WIDE. */
  tenantId: string;
  actor: AuditActor;
  /** A dotted verb: 'tenant.create', 'oauth_client.revoke', 'console.sign_in', … */
  action: string;
  target?: AuditTarget | undefined;
  outcome: AuditOutcome;
  changes?: AuditChanges | undefined;
  /** Small extra context (the reason for a refusal, counts for a purge); never secrets. */
  detail?: Record<string, unknown> | undefined;
  /** Defaults to the time of writing. */
  occurredAt?: Date | undefined;
}

/** An entry as written: the input plus its place in the tenant's chain. */
export interface AuditEntry {
  tenantId: string;
  seq: number;
  id: string;
  occurredAt: Date;
  actor: AuditActor;
  action: string;
  target: AuditTarget | null;
  outcome: AuditOutcome;
  changes: AuditChanges | null;
  detail: Record<string, unknown> | null;
  prevHash: string | null;
  hash: string;
}
