/**
 * What the sync needs from N-central, as a small interface: the REST client (client.ts) provides it in production,
 * tests may pass an in-memory one. Ids are decimal strings; the client has already normalised numbers vs strings,
 * zone-less timestamps and placeholder serial numbers (ncentral-api.md §9.5, §9.10).
 */
export interface SourcePage<T> {
  items: T[];
  pageNumber: number;
  pageSize: number;
  totalItems: number | null;
  totalPages: number | null;
}

export interface SourceCustomer {
  customerId: string;
  customerName: string;
  soId: string;
}

export interface SourceSite {
  siteId: string;
  siteName: string;
  customerId: string;
}

export interface SourceDevice {
  deviceId: string;
  longName: string;
  customerId: string;
  siteId: string | null;
  orgUnitId: string;
  deviceClass: string | null;
  supportedOs: string | null;
  isProbe: boolean;
  lastApplianceCheckinTime: Date | null;
}

export interface SourceDeviceAssets {
  serialNumber: string | null;
  model: string | null;
  manufacturer: string | null;
  macAddresses: string[];
  osName: string | null;
}

/**
 * What N-central said about a device missing from a complete pass. `present`: the listing skipped it (offset paging
 * over live data); `notFound` (404), `deleted` (a 200 whose assets say `device.deleted`) and `noPermission`
 * (401/403 with a working token): the three answers seen for a deleted or out-of-scope device.
 */
export type DeviceAnswer = 'present' | 'notFound' | 'deleted' | 'noPermission';

export interface NcentralSource {
  customers(): AsyncIterable<SourcePage<SourceCustomer>>;
  sites(): AsyncIterable<SourcePage<SourceSite>>;
  devices(): AsyncIterable<SourcePage<SourceDevice>>;
  /** Asks N-central about one device missing from a complete pass. */
  lookUpDevice(id: string): Promise<DeviceAnswer>;
  /** null when N-central answers 404 (probes have no asset record). */
  deviceAssets(id: string): Promise<SourceDeviceAssets | null>;
  /** Requests retried so far (429, 5xx, renewed tokens), for the run record. */
  retries(): number;
  /** Ends the N-central session (best effort) and releases connections. */
  close(): Promise<void>;
}
