import { createHash } from 'node:crypto';
import type { MappingState } from '../store/tables.js';
import type { SourceDevice, SourceDeviceAssets } from './source.js';

/** The matching decision of one customer or site, as the sync reads it. */
export interface UnitMapping {
  kind: 'customer' | 'site';
  parentId: string;
  state: MappingState;
  portalClientId: string | null;
}

export type Target = { portalClientId: string } | { skip: 'excluded' | 'unmatched' | 'unknown' };

/**
 * Which portal client a device's asset belongs to. Under the parent: the customer's client, sites ignored.
 * Otherwise: the site's own client when the device sits in a site, else the customer's (ncentral-api.md §1).
 * An excluded customer excludes its sites too.
 */
export function targetFor(device: Pick<SourceDevice, 'customerId' | 'siteId'>, units: Map<string, UnitMapping>, underParent: boolean): Target {
  const customer = units.get(device.customerId);
  if (!customer) return { skip: 'unknown' };
  if (customer.state === 'excluded') return { skip: 'excluded' };
  const unit = !underParent && device.siteId ? units.get(device.siteId) : customer;
  if (!unit) return { skip: 'unknown' };
  if (unit.state === 'excluded') return { skip: 'excluded' };
  if (unit.state === 'matched' && unit.portalClientId) return { portalClientId: unit.portalClientId };
  return { skip: 'unmatched' };
}

/**
 * What identifies a change worth an assets call. The check-in time is left out on purpose: it moves every few
 * minutes on a live device and would turn every re-sync into 100,000 assets calls.
 */
export function deviceFingerprint(d: SourceDevice): string {
  const stable = [d.longName, d.customerId, d.siteId ?? '', d.orgUnitId, d.deviceClass ?? '', d.supportedOs ?? '', d.isProbe ? '1' : '0'];
  return createHash('sha1').update(JSON.stringify(stable)).digest('base64url');
}

export interface KnownDevice {
  fingerprint: string;
  portalClientId: string;
  removed: boolean;
}

/**
 * create: never seen → fetch assets, write. update: fields changed or it came back → fetch assets, write.
 * move: only its portal client changed (a mapping decision) → write, no assets call. unchanged: no write at all.
 */
export type DeviceAction = 'create' | 'update' | 'move' | 'unchanged';

export function diffDevice(fingerprint: string, known: KnownDevice | undefined, portalClientId: string): DeviceAction {
  if (!known) return 'create';
  if (known.fingerprint !== fingerprint || known.removed) return 'update';
  if (known.portalClientId !== portalClientId) return 'move';
  return 'unchanged';
}

/** Serial numbers that OEMs leave as placeholders must never merge two machines (ncentral-api.md §9.10). */
const PLACEHOLDER_SERIALS = new Set(['', '0', 'none', 'n/a', 'na', 'default string', 'to be filled by o.e.m.', 'system serial number', '0123456789', 'not specified', 'not applicable', 'unknown']);

export function usableSerial(serial: string | null | undefined): string | null {
  if (serial === null || serial === undefined) return null;
  const s = serial.trim();
  return PLACEHOLDER_SERIALS.has(s.toLowerCase()) || /^0+$/.test(s) ? null : s;
}

export interface LinkCandidate {
  id: string;
  portalClientId: string;
  name: string;
  serialNumber: string | null;
}

/**
 * With "ignore sync requirements" off, a device already present as an asset from another source is linked,
 * not duplicated: the same real serial number first, else the same name in the same portal client.
 */
export function chooseLink(
  device: Pick<SourceDevice, 'longName'>,
  assets: Pick<SourceDeviceAssets, 'serialNumber'> | null,
  portalClientId: string,
  candidates: LinkCandidate[],
): LinkCandidate | undefined {
  const serial = usableSerial(assets?.serialNumber);
  if (serial) {
    const bySerial = candidates.find((c) => usableSerial(c.serialNumber)?.toLowerCase() === serial.toLowerCase());
    if (bySerial) return bySerial;
  }
  const name = device.longName.trim().toLowerCase();
  return candidates.find((c) => c.portalClientId === portalClientId && c.name.trim().toLowerCase() === name);
}
