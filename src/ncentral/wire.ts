/**
 * From N-central's JSON to the normalised shapes of api-types.ts. Public clients disagree on whether ids are
 * numbers or strings and on whether timestamps carry a zone (../shared/ncentral-api.md §1, §6.5), so every
 * reader here accepts both. A reader returns null for an unusable object; the caller decides what to do.
 */
import type { NcCustomer, NcDevice, NcDeviceAssets, NcDeviceFilter, NcOrgUnit, NcServerInfo, NcServiceOrg, NcSite } from './api-types.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number or a numeric string as a canonical decimal string ("0042" → "42"); anything else → null. */
export function readId(value: unknown): string | null {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (!/^\d{1,30}$/.test(trimmed)) return null;
    return BigInt(trimmed).toString();
  }
  return null;
}

/** A string field; empty or absent → null. Non-strings (numbers, booleans) are rendered, objects refused. */
export function readText(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

const ZONE = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/;
const ISO_LOCAL = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?/;

/**
 * ISO-8601 with or without a zone; N-central usually sends none and means UTC
 * (`2026-03-23T21:33:26.278`). Unparseable → null rather than failing the whole list (threatmate's lesson).
 */
export function readTimestamp(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value);
  if (typeof value !== 'string') return null;
  let text = value.trim();
  if (!ISO_LOCAL.test(text)) return null;
  text = text.replace(' ', 'T');
  // JavaScript's Date takes at most milliseconds; N-central's Java side may send micro/nanoseconds.
  text = text.replace(/(\.\d{3})\d+/, '$1');
  if (!ZONE.test(text)) text += 'Z';
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time);
}

function readBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.trim().toLowerCase() === 'true';
  return false;
}

export function toServiceOrg(raw: unknown): NcServiceOrg | null {
  if (!isObject(raw)) return null;
  const soId = readId(raw['soId'] ?? raw['orgUnitId']);
  if (soId === null) return null;
  return {
    soId,
    soName: readText(raw['soName'] ?? raw['orgUnitName']) ?? '',
    parentId: readId(raw['parentId']),
    externalId: readText(raw['externalId']),
  };
}

export function toCustomer(raw: unknown): NcCustomer | null {
  if (!isObject(raw)) return null;
  const customerId = readId(raw['customerId'] ?? raw['orgUnitId']);
  const soId = readId(raw['parentId'] ?? raw['soId']);
  if (customerId === null || soId === null) return null;
  return {
    customerId,
    customerName: readText(raw['customerName'] ?? raw['orgUnitName']) ?? '',
    soId,
    externalId: readText(raw['externalId']),
  };
}

export function toSite(raw: unknown): NcSite | null {
  if (!isObject(raw)) return null;
  const siteId = readId(raw['siteId'] ?? raw['orgUnitId']);
  const customerId = readId(raw['parentId'] ?? raw['customerId']);
  if (siteId === null || customerId === null) return null;
  return {
    siteId,
    siteName: readText(raw['siteName'] ?? raw['orgUnitName']) ?? '',
    customerId,
    externalId: readText(raw['externalId']),
  };
}

export function toDevice(raw: unknown): NcDevice | null {
  if (!isObject(raw)) return null;
  const deviceId = readId(raw['deviceId']);
  const customerId = readId(raw['customerId']);
  if (deviceId === null || customerId === null) return null;
  const siteId = readId(raw['siteId']);
  return {
    deviceId,
    longName: readText(raw['longName']) ?? readText(raw['discoveredName']) ?? '',
    discoveredName: readText(raw['discoveredName']),
    customerId,
    customerName: readText(raw['customerName']),
    siteId,
    siteName: siteId === null ? null : readText(raw['siteName']),
    orgUnitId: readId(raw['orgUnitId']) ?? siteId ?? customerId,
    soId: readId(raw['soId']),
    deviceClass: readText(raw['deviceClass']),
    deviceClassLabel: readText(raw['deviceClassLabel']),
    supportedOs: readText(raw['supportedOs']),
    supportedOsLabel: readText(raw['supportedOsLabel']),
    osId: readText(raw['osId']),
    uri: readText(raw['uri']),
    description: readText(raw['description']),
    licenseMode: readText(raw['licenseMode']),
    lastLoggedInUser: readText(raw['lastLoggedInUser']),
    isProbe: readBoolean(raw['isProbe']),
    lastApplianceCheckinTime: readTimestamp(raw['lastApplianceCheckinTime']),
  };
}

export function toDeviceFilter(raw: unknown): NcDeviceFilter | null {
  if (!isObject(raw)) return null;
  const filterId = readId(raw['filterId']);
  if (filterId === null) return null;
  return { filterId, filterName: readText(raw['filterName']) ?? '', description: readText(raw['description']) };
}

/** Serial numbers that BIOS vendors ship unset; merging devices on them would join strangers (§9.10). */
const PLACEHOLDER_SERIALS = new Set([
  'to be filled by o.e.m.',
  'to be filled by oem',
  'system serial number',
  'chassis serial number',
  'default string',
  'not specified',
  'not available',
  'not applicable',
  'none',
  'null',
  'n/a',
  'na',
  'unknown',
  'invalid',
  'serial number',
  'serialnumber',
  '0123456789',
  '123456789',
  '1234567890',
]);

export function normaliseSerial(value: unknown): string | null {
  const text = readText(value)?.trim();
  if (!text) return null;
  if (PLACEHOLDER_SERIALS.has(text.toLowerCase())) return null;
  // All one repeated character ("0", "00000000", "xxxxxxxx", "........") is no serial either.
  if (/^(.)\1*$/.test(text)) return null;
  return text;
}

/** "00-1a-2B-…", "001a2b…" or "00:1A:2B:…" → "00:1A:2B:…"; all-zero/broadcast and malformed → dropped. */
export function normaliseMacs(value: unknown): string[] {
  const text = readText(value);
  if (text === null) return [];
  const macs: string[] = [];
  for (const part of text.split(/[,;\s]+/)) {
    const hex = part.replace(/[:.-]/g, '').toUpperCase();
    if (!/^[0-9A-F]{12}$/.test(hex) || /^(0{12}|F{12})$/.test(hex)) continue;
    macs.push(hex.match(/../g)?.join(':') ?? hex);
  }
  return macs;
}

function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) {
    const list = value['list'];
    if (Array.isArray(list)) return list;
    return [value];
  }
  return [];
}

function section(data: JsonObject, key: string): JsonObject {
  const value = data[key];
  return isObject(value) ? value : {};
}

/** The assets call's lower-case, string-valued sections (§6.6) reduced to what portal assets keep. */
export function toAssets(raw: unknown): NcDeviceAssets | null {
  if (!isObject(raw)) return null;
  const system = section(raw, 'computersystem');
  const os = section(raw, 'os');
  const macs = new Set<string>();
  const ips = new Set<string>();
  for (const adapter of listOf(raw['networkadapter'])) {
    if (!isObject(adapter)) continue;
    for (const mac of normaliseMacs(adapter['macaddress'])) macs.add(mac);
    for (const ip of (readText(adapter['ipaddress']) ?? '').split(/[,;\s]+/)) if (ip !== '') ips.add(ip);
  }
  return {
    serialNumber: normaliseSerial(system['serialnumber']),
    model: readText(system['model'])?.trim() || null,
    manufacturer: readText(system['manufacturer'])?.trim() || null,
    macAddresses: [...macs],
    ipAddresses: [...ips],
    osName: readText(os['reportedos'])?.trim() || null,
    netbiosName: readText(system['netbiosname'])?.trim() || null,
    deleted: readBoolean(section(raw, 'device')['deleted']),
  };
}

export function toOrgUnit(raw: unknown): NcOrgUnit | null {
  if (!isObject(raw)) return null;
  const orgUnitId = readId(raw['orgUnitId']);
  if (orgUnitId === null) return null;
  return { orgUnitId, orgUnitName: readText(raw['orgUnitName']) ?? '', orgUnitType: readText(raw['orgUnitType']), parentId: readId(raw['parentId']) };
}

/** `/api/server-info/extra`: `{ data: { _extra: { "Installation: Deployment Product Version": "2024.6.0.19", … } } }`. */
export function toServerInfoExtra(raw: unknown, key: string): string | null {
  const data = isObject(raw) && isObject(raw['data']) ? raw['data'] : raw;
  const extra = isObject(data) ? data['_extra'] : null;
  return isObject(extra) ? (readText(extra[key])?.trim() || null) : null;
}

export function toServerInfo(raw: unknown): NcServerInfo {
  const body = isObject(raw) && isObject(raw['data']) ? raw['data'] : raw;
  if (!isObject(body)) return { apiVersion: null, ncentralVersion: null };
  const ncentral = body['ncentral'];
  // N-able's example shows `ncentral: null`; some builds may nest it as an object with a version.
  const ncentralVersion = isObject(ncentral) ? readText(ncentral['version']) : readText(ncentral);
  return { apiVersion: readText(body['version']), ncentralVersion: ncentralVersion ?? readText(body['ncentralVersion']) };
}
