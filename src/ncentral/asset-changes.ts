import type { AssetChangeWrite } from '../store/asset-changes.js';
import type { AssetWrite } from '../store/assets.js';
import type { Asset } from '../store/tables.js';

/**
 * What a sync write does to an asset, in the admin API's field names (portal/views.ts AssetView): the change
 * records of issue 13. The check-in time is left out: it moves on every write of a live device and is not a
 * change an operator asks about (device-diff.ts leaves it out of the fingerprint for the same reason).
 */
type Fields = Record<string, unknown>;

function fieldsOfWrite(a: AssetWrite): Fields {
  return {
    name: a.name,
    clientId: a.portalClientId,
    serialNumber: a.serialNumber,
    macAddresses: a.macAddresses,
    manufacturer: a.manufacturer,
    model: a.model,
    os: a.osName,
    deviceClass: a.deviceClass,
    ncentralCustomerId: a.ncentralCustomerId ?? null,
    ncentralSiteId: a.ncentralSiteId ?? null,
    removedAt: null,
  };
}

function fieldsOfRow(a: Asset): Fields {
  return {
    name: a.name,
    clientId: a.portal_client_id,
    serialNumber: a.serial_number,
    macAddresses: a.mac_addresses,
    manufacturer: a.manufacturer,
    model: a.model,
    os: a.os_name,
    deviceClass: a.device_class,
    ncentralCustomerId: a.ncentral_customer_id,
    ncentralSiteId: a.ncentral_site_id,
    removedAt: a.removed_at === null ? null : a.removed_at.toISOString(),
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function diff(before: Fields, after: Fields): Record<string, { old: unknown; new: unknown }> {
  const changes: Record<string, { old: unknown; new: unknown }> = {};
  for (const [field, value] of Object.entries(after)) {
    if (!same(before[field], value)) changes[field] = { old: before[field] ?? null, new: value };
  }
  return changes;
}

/** A created asset: every field it was created with, from null. */
export function createdChange(a: AssetWrite, assetId: string): AssetChangeWrite {
  const after = fieldsOfWrite(a);
  const empty = Object.fromEntries(Object.keys(after).map((k) => [k, null]));
  return { assetId, kind: 'created', detail: { deviceId: a.externalId, changes: diff(empty, after) } };
}

/** An asset the sync overwrote: the fields that differ, old → new; null when the write changed nothing visible. */
export function updatedChange(before: Asset, a: AssetWrite): AssetChangeWrite | null {
  const changes = diff(fieldsOfRow(before), fieldsOfWrite(a));
  return Object.keys(changes).length === 0 ? null : { assetId: before.id, kind: 'updated', detail: { deviceId: a.externalId, changes } };
}

/** An asset moved to another portal client (its N-central customer or site was matched elsewhere). */
export function movedChange(before: Asset, portalClientId: string): AssetChangeWrite | null {
  if (before.portal_client_id === portalClientId) return null;
  return { assetId: before.id, kind: 'updated', detail: { deviceId: before.external_id, changes: { clientId: { old: before.portal_client_id, new: portalClientId } } } };
}

/** A device linked to an asset another source owns: the asset itself is left as it is. */
export const linkedChange = (assetId: string, deviceId: string): AssetChangeWrite => ({ assetId, kind: 'linked', detail: { deviceId } });

/** An asset whose device N-central confirmed gone. */
export const removedChange = (assetId: string, deviceId: string, because: string): AssetChangeWrite => ({
  assetId,
  kind: 'removed',
  detail: { deviceId, because },
});
