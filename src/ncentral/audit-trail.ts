import type { AuditChanges, AuditTarget } from '../audit/audit-entry.js';
import { fieldChanges } from '../audit/changes.js';
import type { MappingState, NcentralConnection, NcentralOrgUnit } from '../store/tables.js';

/**
 * What the N-central feature writes to the audit trail (issue 19): the names of its actions, its targets, and the
 * connection's fields as an auditor reads them. The API token is not among them, sealed or not: an entry only
 * says that a token was entered (`tokenEntered`), never which.
 */
export const NCENTRAL_ACTIONS = {
  connectionCreate: 'ncentral.connection.create',
  connectionUpdate: 'ncentral.connection.update',
  verify: 'ncentral.verify',
  autoMatch: 'ncentral.auto_match',
  createUnmatched: 'ncentral.create_unmatched',
  match: 'ncentral.match',
  create: 'ncentral.create',
  exclude: 'ncentral.exclude',
  unexclude: 'ncentral.unexclude',
  finish: 'ncentral.finish',
  sync: 'ncentral.sync',
} as const;

export type UnitDecision = 'match' | 'create' | 'exclude' | 'unexclude';

/** How a unit's decision was taken: by a person on that unit, or by one of the bulk actions. */
export type DecidedBy = 'manual' | 'auto_match' | 'create_unmatched';

export const connectionTarget = (tenantId: string): AuditTarget => ({ type: 'ncentral_connection', id: tenantId });
export const unitTarget = (orgUnitId: string): AuditTarget => ({ type: 'ncentral_customer', id: orgUnitId });

/** The connection's recorded fields; the CA bundle as whether one is set (it is public, but pages long). */
export interface ConnectionFields {
  url: string;
  caConfigured: boolean;
  deviceSync: boolean;
  assetsUnderParent: boolean;
  ignoreSyncRequirements: boolean;
  syncTime: string;
  verified: boolean;
}

const CONNECTION_FIELDS = ['url', 'caConfigured', 'deviceSync', 'assetsUnderParent', 'ignoreSyncRequirements', 'syncTime', 'verified'] as const;

export function connectionFields(c: NcentralConnection | undefined): ConnectionFields | undefined {
  if (!c) return undefined;
  return {
    url: c.base_url,
    caConfigured: c.ca_pem !== null,
    deviceSync: c.device_sync,
    assetsUnderParent: c.assets_under_parent,
    ignoreSyncRequirements: c.ignore_sync_requirements,
    syncTime: c.sync_time,
    verified: c.verified_at !== null,
  };
}

/** old → new of the connection's non-secret fields (the token column is not read). */
export function connectionChanges(before: NcentralConnection | undefined, after: NcentralConnection | undefined): AuditChanges | undefined {
  return fieldChanges(connectionFields(before), connectionFields(after), CONNECTION_FIELDS);
}

/** A unit's mapping as an entry records it. */
export interface UnitMappingFields {
  state: MappingState;
  portalClientId: string | null;
}

export function unitChanges(before: Pick<NcentralOrgUnit, 'state' | 'portal_client_id'>, after: UnitMappingFields): AuditChanges | undefined {
  return fieldChanges({ state: before.state, portalClientId: before.portal_client_id }, after, ['state', 'portalClientId'] as const);
}

/** The unit's identity beside the decision, so an entry reads on its own after the unit is renamed or gone. */
export const unitDetail = (unit: Pick<NcentralOrgUnit, 'kind' | 'name'>, by: DecidedBy): Record<string, unknown> => ({ kind: unit.kind, name: unit.name, by });
