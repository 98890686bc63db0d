/**
 * The fake N-central's endpoints (../shared/ncentral-api.md §3–§6): what each path answers for the estate,
 * the token and permission checks in front of them, and the page envelope of §5.
 */
import type http from 'node:http';
import type { FakeNcentralOptions } from './ncentral.js';
import { assetsJson, customerJson, deviceJson, orgUnitJson, serviceOrgJson, siteJson, type Ids } from './ncentral-json.js';
import type { FakeTokens } from './ncentral-tokens.js';

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteContext {
  options: FakeNcentralOptions;
  tokens: FakeTokens;
  clock: { now(): Date };
  userApiToken(): string;
  /** How ids are written for the next object (numbers, strings, or alternating). */
  ids(): Ids;
  /** The fake's seeded randomness: unsorted lists come back in a fresh order per request. */
  random(): number;
}

/** N-central's error body (the specification's ErrorResponse): `{status, message, errors[]}`. */
export function errorAnswer(status: number, words: string, exception: string, detail: string, errors: { field: string; message: string }[] = []): Answer {
  const id = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
  return { status, body: { status, message: `[ID=${id}] ${words}: ${exception}: ${detail}`, errors } };
}

/** `/api/devices/1000000007/assets` → `/api/devices/{id}/assets`. */
export function templateOf(path: string): string {
  return path.replace(/\/\d+(?=\/|$)/g, '/{id}');
}

export function bearer(request: http.IncomingMessage): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1] ?? null;
}

const passwordExpiredAnswer: Answer = {
  status: 500,
  body: { status: 500, message: 'Unable to validate UI session: javax.validation.ValidationException: Password expired', errors: [] },
};

/**
 * The list fields the fake can sort by, per listing (the specification: "sortBy: the name of a field to sort the
 * results by. If unspecified, no sorting is applied").
 */
const ID_FIELD: Record<string, string> = {
  '/api/service-orgs': 'soId',
  '/api/customers': 'customerId',
  '/api/service-orgs/{id}/customers': 'customerId',
  '/api/sites': 'siteId',
  '/api/customers/{id}/sites': 'siteId',
  '/api/org-units': 'orgUnitId',
  '/api/org-units/{id}/children': 'orgUnitId',
  '/api/devices': 'deviceId',
  '/api/org-units/{id}/devices': 'deviceId',
  '/api/device-filters': 'filterId',
};

/** Listings the specification declares as only `{data, totalItems}` (ListResponse…); devices get the full envelope. */
const SHORT_ENVELOPE = new Set(['/api/service-orgs', '/api/service-orgs/{id}/customers', '/api/customers', '/api/customers/{id}/sites', '/api/sites', '/api/org-units', '/api/org-units/{id}/children', '/api/device-filters']);

export function route(ctx: RouteContext, method: string, path: string, query: URLSearchParams, request: http.IncomingMessage, requestBody: string): Answer {
  const { options, clock, ids, tokens } = ctx;
  const estate = options.estate;
  const template = templateOf(path);
  const idIn = () => Number(/\/(\d+)(?:\/|$)/.exec(path)?.[1] ?? NaN);
  // Open endpoints first (§3).
  if (method === 'GET' && path === '/api') {
    return { status: 200, body: { _links: { root: '/api', 'server-info': '/api/server-info', health: '/api/health', auth: '/api/auth', customers: '/api/customers', devices: '/api/devices', 'org-units': '/api/org-units', 'service-orgs': '/api/service-orgs', sites: '/api/sites' } } };
  }
  if (method === 'GET' && path === '/api/health') return { status: 200, body: { currentTime: clock.now().toISOString() } };
  if (method === 'GET' && path === '/api/auth') {
    return { status: 200, body: { _links: { authenticate: '/api/auth/authenticate', refresh: '/api/auth/refresh', validate: '/api/auth/validate' } } };
  }
  if (method === 'POST' && path === '/api/auth/authenticate') {
    if (bearer(request) !== ctx.userApiToken()) return errorAnswer(401, 'UNAUTHORIZED', 'UnauthorizedException', 'Invalid or revoked JWT.');
    if (options.passwordExpired) return passwordExpiredAnswer;
    return { status: 200, body: tokens.issue(request.headers) };
  }
  if (method === 'POST' && path === '/api/auth/refresh') {
    if (!tokens.spendRefresh(requestBody.trim())) return { status: 401, body: { status: 401, message: 'Invalid refresh token.' } };
    if (options.passwordExpired) return passwordExpiredAnswer;
    return { status: 200, body: tokens.issue(request.headers) };
  }
  if (!tokens.accessValid(bearer(request))) return errorAnswer(401, 'UNAUTHORIZED', 'UnauthorizedException', 'Access token is missing, invalid or expired.');
  if (method === 'POST' && path === '/api/auth/logout') {
    // The specification's logout invalidates both tokens of the session.
    tokens.logout(bearer(request) ?? '');
    return { status: 200, body: { message: 'Logged out.' } };
  }
  if (options.passwordExpired) return passwordExpiredAnswer;
  if (method === 'GET' && path === '/api/auth/validate') return { status: 200, body: { message: 'The token is valid.' } };
  // Both version routes sit behind the access token in the specification.
  const version = options.version === undefined ? '2025.3.1.9' : options.version;
  if (method === 'GET' && path === '/api/server-info') {
    // N-able's own example answers `ncentral: null`; the product version is then only in the extra route.
    return { status: 200, body: { jvmVersion: '17.0.9', version: '3.1.0', ncentral: options.versionOnlyInExtra ? null : version, _links: {} } };
  }
  if (method === 'GET' && path === '/api/server-info/extra') {
    if (version === null) return errorAnswer(404, 'NOT FOUND', 'ResourceNotFoundException', 'No such endpoint.');
    return { status: 200, body: { data: { _extra: { 'Installation: Deployment Type': 'N-central', 'Installation: Deployment Product Version': version } }, _links: {} } };
  }
  if (method !== 'GET') return { status: 405, body: { status: 405, message: 'Method not allowed' } };

  const canSeeCustomers = options.permissions?.customers ?? true;
  const canSeeDevices = options.permissions?.devices ?? true;
  const forbidden = errorAnswer(403, 'FORBIDDEN', 'AccessDeniedException', 'Access denied.');
  const notFound = errorAnswer(404, 'NOT FOUND', 'ResourceNotFoundException', 'Not found.');
  const list = (rows: readonly unknown[], write: (row: never) => object): Answer => page(options, template, path, query, rows, write, ctx.random);
  const devicesOf = (filter: (d: { customerId: number; siteId: number | null }) => boolean) =>
    canSeeDevices ? estate.listDevices().filter(filter) : [];
  const deviceRow = (d: never) => deviceJson(d, estate, ids());
  const orgUnits = () => [
    ...estate.listServiceOrgs().map((so) => ({ id: so.soId, name: so.soName, type: 'SO' as const, parentId: 1 })),
    ...estate.listCustomers().map((c) => ({ id: c.customerId, name: c.customerName, type: 'CUSTOMER' as const, parentId: c.soId })),
    ...estate.listSites().map((s) => ({ id: s.siteId, name: s.siteName, type: 'SITE' as const, parentId: s.customerId })),
  ].sort((a, b) => a.id - b.id);

  switch (template) {
    case '/api/service-orgs':
      return canSeeCustomers ? list(estate.listServiceOrgs(), (so) => serviceOrgJson(so, ids())) : forbidden;
    case '/api/service-orgs/{id}': {
      const so = estate.serviceOrgs.get(idIn());
      // The specification returns the single org-unit GETs unwrapped (npycentral reads /customers/{id} the same way).
      return !canSeeCustomers ? forbidden : so ? { status: 200, body: serviceOrgJson(so, ids()) } : notFound;
    }
    case '/api/service-orgs/{id}/customers': {
      const soId = idIn();
      return canSeeCustomers ? list(estate.listCustomers().filter((c) => c.soId === soId), (c) => customerJson(c, ids())) : forbidden;
    }
    case '/api/customers':
      return canSeeCustomers ? list(estate.listCustomers(), (c) => customerJson(c, ids())) : forbidden;
    case '/api/customers/{id}': {
      const customer = estate.customers.get(idIn());
      return !canSeeCustomers ? forbidden : customer ? { status: 200, body: customerJson(customer, ids()) } : notFound;
    }
    case '/api/customers/{id}/sites': {
      const customerId = idIn();
      return canSeeCustomers ? list(estate.listSites().filter((s) => s.customerId === customerId), (s) => siteJson(s, ids())) : forbidden;
    }
    case '/api/sites':
      return canSeeCustomers ? list(estate.listSites(), (s) => siteJson(s, ids())) : forbidden;
    case '/api/sites/{id}': {
      const site = estate.sites.get(idIn());
      return !canSeeCustomers ? forbidden : site ? { status: 200, body: siteJson(site, ids()) } : notFound;
    }
    case '/api/org-units':
      return canSeeCustomers ? list(orgUnits(), (u) => orgUnitJson(u, ids())) : forbidden;
    case '/api/org-units/{id}': {
      const unit = orgUnits().find((u) => u.id === idIn());
      return !canSeeCustomers ? forbidden : unit ? { status: 200, body: orgUnitJson(unit, ids()) } : notFound;
    }
    case '/api/org-units/{id}/children': {
      const parent = idIn();
      return canSeeCustomers ? list(orgUnits().filter((u) => u.parentId === parent), (u) => orgUnitJson(u, ids())) : forbidden;
    }
    case '/api/org-units/{id}/devices': {
      const unit = idIn();
      const soOf = (customerId: number) => estate.customers.get(customerId)?.soId;
      // Our guess (§4): a customer's devices include those of its sites.
      return list(devicesOf((d) => d.customerId === unit || d.siteId === unit || soOf(d.customerId) === unit), deviceRow);
    }
    case '/api/devices': {
      const filterId = query.get('filterId');
      if (filterId !== null && filterId !== '1') return errorAnswer(400, 'BAD REQUEST', 'BadRequestException', `Unknown filterId ${filterId}`, [{ field: 'filterId', message: 'no such filter' }]);
      if (!canSeeDevices && options.permissions?.devicesAs === 'forbidden') return forbidden;
      // The whole list as it stands, without a copy: the benchmark pages through 100,000 devices.
      return list(canSeeDevices ? estate.listDevices() : [], deviceRow);
    }
    case '/api/devices/{id}': {
      if (!canSeeDevices) return forbidden;
      const device = estate.devices.get(idIn());
      if (device) return { status: 200, body: { data: deviceJson(device, estate, ids()), _links: {} } };
      const gone = estate.deletedDevices.get(idIn());
      if (!gone) return notFound;
      // Undocumented, so each answer public clients report for a deleted or out-of-scope device (§ Sources added in December 2026).
      switch (options.goneDevices ?? 'notFound') {
        case 'deletedFlag':
          return { status: 200, body: { data: deviceJson(gone, estate, ids()), _links: {} } };
        case 'unauthorized':
          return errorAnswer(401, 'UNAUTHORIZED', 'UnauthorizedException', 'The user has no permission to access this device.');
        case 'forbidden':
          return errorAnswer(403, 'FORBIDDEN', 'AccessDeniedException', 'The user has no permission to access this device.');
        default:
          return notFound;
      }
    }
    case '/api/devices/{id}/assets': {
      if (!canSeeDevices) return forbidden;
      const live = estate.devices.get(idIn());
      const device = live ?? (options.goneDevices === 'deletedFlag' ? estate.deletedDevices.get(idIn()) : undefined);
      const assets = device ? estate.assets(device.deviceId) : null;
      // Probes have no asset record (§6.6).
      return device && assets ? { status: 200, body: { data: assetsJson(device, assets, live === undefined), _links: {} } } : notFound;
    }
    case '/api/device-filters':
      return list([{ filterId: '1', filterName: 'All Devices', description: 'Every device' }], (f) => f);
    default:
      return notFound;
  }
}

/** The row's value for `field` as the fake's estate holds it (org units keep their id as `id`). */
function fieldOf(row: unknown, field: string, idField: string | undefined): unknown {
  const record = row as Record<string, unknown>;
  if (field === idField && !(field in record)) return record['id'];
  return record[field];
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

/** `sortBy`/`sortOrder` as the specification describes them; without `sortBy`, an order that changes per request. */
function ordered(template: string, query: URLSearchParams, rows: readonly unknown[], random: () => number): readonly unknown[] | Answer {
  const sortBy = query.get('sortBy');
  const order = (query.get('sortOrder') ?? 'asc').toLowerCase();
  if (!['asc', 'ascending', 'natural', 'desc', 'descending', 'reverse'].includes(order)) {
    return errorAnswer(400, 'BAD REQUEST', 'BadRequestException', `Invalid sortOrder: ${order}`, [{ field: 'sortOrder', message: 'must be asc or desc' }]);
  }
  const descending = ['desc', 'descending', 'reverse'].includes(order);
  if (sortBy === null) {
    // "If unspecified, no sorting is applied": model the worst case, a fresh order on every request.
    const copy = [...rows];
    for (let i = copy.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }
  const idField = ID_FIELD[template];
  if (rows.length > 0 && fieldOf(rows[0], sortBy, idField) === undefined) {
    return errorAnswer(400, 'BAD REQUEST', 'BadRequestException', `Field not found: ${sortBy}`, [{ field: 'sortBy', message: 'unknown field' }]);
  }
  // The estate's lists are already in id order: the common case costs no copy (the benchmark pages 100,000 devices).
  const sorted = sortBy === idField ? rows : [...rows].sort((a, b) => compare(fieldOf(a, sortBy, idField), fieldOf(b, sortBy, idField)));
  return descending ? [...sorted].reverse() : sorted;
}

function page(
  options: FakeNcentralOptions,
  template: string,
  path: string,
  query: URLSearchParams,
  all: readonly unknown[],
  write: (row: never) => object,
  random: () => number,
): Answer {
  const pageNumberText = query.get('pageNumber') ?? '1';
  const pageSizeText = query.get('pageSize') ?? '50';
  if (!/^\d+$/.test(pageNumberText) || !/^\d+$/.test(pageSizeText) || Number(pageNumberText) < 1 || Number(pageSizeText) < 1) {
    return errorAnswer(400, 'BAD REQUEST', 'BadRequestException', 'pageNumber and pageSize must be positive integers', [{ field: 'pageSize', message: 'must be positive' }]);
  }
  const maxPageSize = options.maxPageSize ?? 1000;
  const asked = Number(pageSizeText);
  if (asked > maxPageSize && options.pageSizeAboveMax === 'reject') {
    return errorAnswer(400, 'BAD REQUEST', 'BadRequestException', `pageSize must be between 1 and ${maxPageSize}`, [{ field: 'pageSize', message: `must be at most ${maxPageSize}` }]);
  }
  const rows = ordered(template, query, all, random);
  if (!Array.isArray(rows)) return rows as Answer;
  const pageSize = Math.min(asked, maxPageSize);
  const pageNumber = options.ignorePageNumber ? 1 : Number(pageNumberText);
  const totalItems = rows.length;
  const totalPages = Math.ceil(totalItems / pageSize);
  const data = rows.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((row) => write(row as never));
  if (SHORT_ENVELOPE.has(template) && !options.fullEnvelopes) {
    // ListResponse in the specification: a page size it lowered is not even stated.
    return { status: 200, body: { data, totalItems } };
  }
  const link = (n: number) => `${path}?pageNumber=${n}&pageSize=${pageSize}`;
  const body: Record<string, unknown> = {
    data,
    pageNumber,
    pageSize,
    itemCount: data.length,
    totalItems,
    totalPages,
    _links: {
      firstPage: link(1),
      previousPage: pageNumber > 1 ? link(Math.min(pageNumber - 1, Math.max(1, totalPages))) : null,
      nextPage: pageNumber < totalPages ? link(pageNumber + 1) : null,
      lastPage: link(Math.max(1, totalPages)),
    },
    _warning: asked > maxPageSize ? `pageSize reduced to the maximum of ${maxPageSize}` : null,
  };
  for (const field of options.omitEnvelopeFields ?? []) delete body[field];
  return { status: 200, body };
}
