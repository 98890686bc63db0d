import type { AssetView } from './views.js';

/** The assets export's line formats: NDJSON (one AssetView per line) and CSV (one flat row per asset). */
const CSV_COLUMNS = [
  'id',
  'client_id',
  'client_name',
  'source',
  'name',
  'serial_number',
  'mac_addresses',
  'manufacturer',
  'model',
  'os',
  'device_class',
  'ncentral_device_id',
  'ncentral_customer_id',
  'ncentral_site_id',
  'last_check_in',
  'created_at',
  'updated_at',
  'removed_at',
] as const;

/**
 * RFC 4180 quoting, and a leading quote on text a spreadsheet would run as a formula (names come from
 * N-central, i.e. from outside): OWASP's CSV-injection advice, as the provisioning log's export does.
 */
function csvCell(value: string | null): string {
  if (value === null) return '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const assetCsvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

export function assetCsvLine(a: AssetView): string {
  return (
    [
      a.id,
      a.client.id,
      a.client.name,
      a.source,
      a.name,
      a.serialNumber,
      // Space-separated: a MAC address never contains one.
      a.macAddresses.join(' '),
      a.manufacturer,
      a.model,
      a.os,
      a.deviceClass,
      a.ncentral?.deviceId ?? null,
      a.ncentral?.customerId ?? null,
      a.ncentral?.siteId ?? null,
      a.lastCheckIn,
      a.createdAt,
      a.updatedAt,
      a.removedAt,
    ]
      .map(csvCell)
      .join(',') + '\r\n'
  );
}

export const assetNdjsonLine = (a: AssetView): string => `${JSON.stringify(a)}\n`;
