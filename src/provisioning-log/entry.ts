/**
 * What a provisioning-log entry says, independent of storage. Operations follow the names Entra's own
 * provisioning logs use, so an operator can read both side by side.
 */
export const OPERATIONS = [
  'Create',
  'Update',
  'Replace',
  'Disable',
  'Enable',
  'Delete',
  'Get',
  'Query',
  'Test connection',
  // SCIM Groups (issue 17).
  'Create group',
  'Update group',
  'Add members',
  'Remove members',
  'Delete group',
  /** An account's effective portal role changed (src/roles): old → new, the cause in the detail. */
  'Change role',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export type Outcome = 'success' | 'failure';

/** One attribute that changed, old → new (undefined: absent). */
export interface AttributeChange {
  attribute: string;
  old?: unknown;
  new?: unknown;
}

export interface ProvisioningLogEntry {
  tenantId: string;
  occurredAt: Date;
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
