import type { AccountReadRow } from '../store/account-listing.js';
import type { AssetChangeListRow } from '../store/asset-changes.js';
import type { AssetListRow } from '../store/asset-listing.js';
import type { ClientListRow } from '../store/client-listing.js';
import type { AssetChangeKind, NcentralOrgUnit } from '../store/tables.js';

/** What every front end (admin API, console) shows of the portal's data: views, never table rows. */

export interface NcentralLinkView {
  /** The N-central customer or site id. */
  id: string;
  kind: 'customer' | 'site';
  name: string;
  /** N-central no longer lists it: shown as such, never hidden. */
  gone: boolean;
}

export interface ClientView {
  id: string;
  name: string;
  /** `ncentral` for clients the sync created, `manual` (or another integration's name) otherwise. */
  source: string;
  /** The N-central customers/sites matched to this client (none for a client N-central does not feed). */
  ncentral: NcentralLinkView[];
  assets: { active: number; removed: number };
  createdAt: string;
  updatedAt: string;
}

export interface AssetView {
  id: string;
  client: { id: string; name: string };
  source: string;
  name: string;
  serialNumber: string | null;
  macAddresses: string[];
  manufacturer: string | null;
  model: string | null;
  os: string | null;
  deviceClass: string | null;
  /** The N-central device feeding this asset; null for assets of other sources. */
  ncentral: { deviceId: string; customerId: string | null; siteId: string | null } | null;
  /** N-central's lastApplianceCheckinTime as of the last sync that wrote this asset. */
  lastCheckIn: string | null;
  createdAt: string;
  updatedAt: string;
  /** When the sync marked it gone from N-central; null while it is there. */
  removedAt: string | null;
}

export interface FieldChange {
  old: unknown;
  new: unknown;
}

export interface AssetChangeView {
  id: string;
  runId: string;
  assetId: string;
  /** The asset's name now (null if it no longer exists). */
  assetName: string | null;
  kind: AssetChangeKind;
  occurredAt: string;
  /** For `updated`: each changed field, old → new; for `created`: each field, from null. Empty otherwise. */
  changes: Record<string, FieldChange>;
  /** For `linked` and `removed`: the N-central device. */
  deviceId: string | null;
  /** For `removed`: how N-central confirmed it (`notFound`, `deleted`, `noPermission`). */
  because: string | null;
}

export interface AssetDetailView extends AssetView {
  /** Newest first; `changesNextCursor` pages on through the older ones. */
  changes: AssetChangeView[];
  changesNextCursor: string | null;
}

export interface AccountView {
  id: string;
  userName: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string;
  familyName: string;
  email: string | null;
  active: boolean;
  /** The effective portal role (src/roles/effective-role.ts). */
  role: string;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function clientView(row: ClientListRow, units: NcentralOrgUnit[], counts: { active: number; removed: number } | undefined): ClientView {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    ncentral: units.map((u) => ({ id: u.org_unit_id, kind: u.kind, name: u.name, gone: u.gone_at !== null })),
    assets: counts ?? { active: 0, removed: 0 },
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function assetView(row: AssetListRow): AssetView {
  return {
    id: row.id,
    client: { id: row.portal_client_id, name: row.client_name },
    source: row.source,
    name: row.name,
    serialNumber: row.serial_number,
    macAddresses: row.mac_addresses,
    manufacturer: row.manufacturer,
    model: row.model,
    os: row.os_name,
    deviceClass: row.device_class,
    ncentral: row.source === 'ncentral' ? { deviceId: row.external_id, customerId: row.ncentral_customer_id, siteId: row.ncentral_site_id } : null,
    lastCheckIn: isoOrNull(row.last_check_in),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    removedAt: isoOrNull(row.removed_at),
  };
}

const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function assetChangeView(row: AssetChangeListRow): AssetChangeView {
  const detail = row.detail;
  const changes = typeof detail['changes'] === 'object' && detail['changes'] !== null ? (detail['changes'] as Record<string, FieldChange>) : {};
  return {
    id: row.id,
    runId: row.run_id,
    assetId: row.asset_id,
    assetName: row.asset_name,
    kind: row.kind,
    occurredAt: iso(row.occurred_at),
    changes,
    deviceId: stringOrNull(detail['deviceId']),
    because: stringOrNull(detail['because']),
  };
}

export function accountView(row: AccountReadRow): AccountView {
  return {
    id: row.id,
    userName: row.user_name,
    externalId: row.external_id,
    displayName: row.display_name,
    givenName: row.given_name,
    familyName: row.family_name,
    email: row.email,
    active: row.active,
    role: row.role,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}
