import type { AssetView } from '../portal/views.js';
import { csvCell } from '../provisioning-log/stored-entry.js';

/** One column per field the Assets page filters and the asset page shows; names as the admin API's JSON. */
const COLUMNS = [
  'id', 'clientId', 'clientName', 'name', 'serialNumber', 'macAddresses', 'manufacturer', 'model', 'os', 'deviceClass', 'source',
  'ncentralDeviceId', 'ncentralCustomerId', 'ncentralSiteId', 'lastCheckIn', 'createdAt', 'updatedAt', 'removedAt',
] as const;

export const assetCsvHeader = (): string => `${COLUMNS.join(',')}\r\n`;

/** A CSV row with the provisioning log's quoting and formula guard (names and serials come from N-central). */
export function assetCsvLine(a: AssetView): string {
  return (
    [
      a.id, a.client.id, a.client.name, a.name, a.serialNumber, a.macAddresses.join(' '), a.manufacturer, a.model, a.os, a.deviceClass, a.source,
      a.ncentral?.deviceId ?? null, a.ncentral?.customerId ?? null, a.ncentral?.siteId ?? null, a.lastCheckIn, a.createdAt, a.updatedAt, a.removedAt,
    ]
      .map(csvCell)
      .join(',') + '\r\n'
  );
}

export const assetNdjsonLine = (a: AssetView): string => `${JSON.stringify(a)}\n`;
