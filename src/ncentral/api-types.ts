/**
 * N-central REST objects as the rest of the service sees them, normalised from the wire
 * (../shared/ncentral-api.md sections 5–6): ids are decimal strings whether the server sent numbers or
 * numeric strings, timestamps are Dates (a zone-less timestamp is UTC), absent/empty optional fields are null.
 */

export interface NcServiceOrg {
  soId: string;
  soName: string;
  /** The system org unit (usually "1") for an ordinary SO. */
  parentId: string | null;
  externalId: string | null;
}

export interface NcCustomer {
  customerId: string;
  customerName: string;
  /** The customer's `parentId`: the id of its service organization. */
  soId: string;
  externalId: string | null;
}

export interface NcSite {
  siteId: string;
  siteName: string;
  /** The site's `parentId`: the id of its customer. */
  customerId: string;
  externalId: string | null;
}

export interface NcDevice {
  deviceId: string;
  /** The display name N-central's UI shows; editable, not unique. */
  longName: string;
  discoveredName: string | null;
  /** The owning customer, never the site. */
  customerId: string;
  customerName: string | null;
  /** Null when the device hangs directly off its customer. */
  siteId: string | null;
  siteName: string | null;
  /** The site id when there is one, else the customer id. */
  orgUnitId: string;
  soId: string | null;
  deviceClass: string | null;
  deviceClassLabel: string | null;
  supportedOs: string | null;
  supportedOsLabel: string | null;
  osId: string | null;
  uri: string | null;
  description: string | null;
  licenseMode: string | null;
  lastLoggedInUser: string | null;
  /** Probes have no asset record (their assets call answers 404). */
  isProbe: boolean;
  lastApplianceCheckinTime: Date | null;
}

export interface NcDeviceAssets {
  /** Placeholders such as "To Be Filled By O.E.M.", "System Serial Number", "0" or "" become null. */
  serialNumber: string | null;
  model: string | null;
  manufacturer: string | null;
  /** Upper-case, colon-separated, deduplicated; placeholder MACs dropped. */
  macAddresses: string[];
  ipAddresses: string[];
  osName: string | null;
  netbiosName: string | null;
  /** The assets' `device.deleted` ("true"): N-central still answers for a device it has deleted. */
  deleted: boolean;
}

/** An org unit of any level (`/api/org-units/{id}`). */
export interface NcOrgUnit {
  orgUnitId: string;
  orgUnitName: string;
  /** e.g. "SO", "CUSTOMER", "SITE". */
  orgUnitType: string | null;
  parentId: string | null;
}

/**
 * What N-central said about a device missing from a complete listing: `present` (the listing skipped it), or one of
 * the three answers seen for a deleted or out-of-scope device.
 */
export type NcDeviceLookup =
  | { answer: 'present'; status: 200; device: NcDevice }
  | { answer: 'notFound'; status: 404 }
  | { answer: 'deleted'; status: 200 }
  | { answer: 'noPermission'; status: 401 | 403 | number };

/** A saved device filter (`/api/device-filters`); its id can narrow `devices({ filterId })`. */
export interface NcDeviceFilter {
  filterId: string;
  filterName: string;
  description: string | null;
}

export interface NcServerInfo {
  /** The API-Service version (`version`), e.g. "3.1.0". */
  apiVersion: string | null;
  /** The N-central version (`ncentral`), e.g. "2024.6.0.19"; null when the server does not say. */
  ncentralVersion: string | null;
}

export interface NcPage<T> {
  items: T[];
  /** The page number the server answered for (1-based). */
  pageNumber: number;
  /** The page size the server actually used, which may differ from the one asked for. */
  pageSize: number;
  totalItems: number | null;
  totalPages: number | null;
}

/** Path templates name N-central's endpoints: concurrency limits and events are keyed by them. */
export type NcEndpoint =
  | '/api/auth/authenticate'
  | '/api/auth/refresh'
  | '/api/auth/validate'
  | '/api/auth/logout'
  | '/api/server-info'
  | '/api/server-info/extra'
  | '/api/service-orgs/{id}'
  | '/api/customers/{id}'
  | '/api/sites/{id}'
  | '/api/org-units/{id}'
  | '/api/service-orgs'
  | '/api/customers'
  | '/api/sites'
  | '/api/devices'
  | '/api/org-units/{id}/devices'
  | '/api/device-filters'
  | '/api/devices/{id}'
  | '/api/devices/{id}/assets';

/** What the client tells its owner while it works; never carries a token. */
export type NcClientEvent =
  | { type: 'request'; endpoint: NcEndpoint; method: string; status: number; durationMs: number }
  | { type: 'page'; endpoint: NcEndpoint; pageNumber: number; pageSize: number; items: number; totalPages: number | null }
  | { type: 'retry'; endpoint: NcEndpoint; attempt: number; status: number | null; kind: string; delayMs: number }
  | { type: 'tokenRenewed'; via: 'authenticate' | 'refresh'; reason: 'initial' | 'expiring' | 'unauthorized' }
  | { type: 'itemSkipped'; endpoint: NcEndpoint; reason: string };

/** Per-call options. */
export interface NcCallOptions {
  /** Overrides the client's retry budget for this call (verify uses 1: an admin is waiting). */
  maxRetries?: number;
}

/** Options of the list calls. */
export interface NcListOptions extends NcCallOptions {
  /** Overrides the client's page size for this listing. */
  pageSize?: number;
}

export interface NcDeviceListOptions extends NcListOptions {
  /** A saved N-central device filter (`filterId`). */
  filterId?: string;
}
