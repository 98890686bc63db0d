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
  body: { status: 500, message: 'Unable to validate UI session: javax.validation.ValidationException: Password expired' },
};

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
  if (method === 'GET' && path === '/api/server-info') {
    return { status: 200, body: { jvmVersion: '17.0.9', version: '3.1.0', ncentral: options.version === undefined ? '2025.3.1.9' : options.version, _links: {} } };
  }
  if (method === 'GET' && path === '/api/auth') {
    return { status: 200, body: { _links: { authenticate: '/api/auth/authenticate', refresh: '/api/auth/refresh', validate: '/api/auth/validate' } } };
  }
  if (method === 'POST' && path === '/api/auth/authenticate') {
    if (bearer(request) !== ctx.userApiToken()) return { status: 401, body: { status: 401, message: 'Invalid or revoked JWT.' } };
    if (options.passwordExpired) return passwordExpiredAnswer;
    return { status: 200, body: tokens.issue(request.headers) };
  }
  if (method === 'POST' && path === '/api/auth/refresh') {
    if (!tokens.spendRefresh(requestBody.trim())) return { status: 401, body: { status: 401, message: 'Invalid refresh token.' } };
    if (options.passwordExpired) return passwordExpiredAnswer;
    return { status: 200, body: tokens.issue(request.headers) };
  }
  if (!tokens.accessValid(bearer(request))) return { status: 401, body: { status: 401, message: 'Access token is missing, invalid or expired.' } };
  if (options.passwordExpired) return passwordExpiredAnswer;
  if (method === 'GET' && path === '/api/auth/validate') return { status: 200, body: { message: 'The token is valid.' } };
  if (method !== 'GET') return { status: 405, body: { status: 405, message: 'Method not allowed' } };

  const canSeeCustomers = options.permissions?.customers ?? true;
  const canSeeDevices = options.permissions?.devices ?? true;
  const forbidden: Answer = { status: 403, body: { status: 403, message: 'Access denied.' } };
  const notFound: Answer = { status: 404, body: { status: 404, message: 'Not found.' } };
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
      return canSeeCustomers ? page(options, path, query, estate.listServiceOrgs(), (so) => serviceOrgJson(so, ids())) : forbidden;
    case '/api/service-orgs/{id}': {
      const so = estate.serviceOrgs.get(idIn());
      return !canSeeCustomers ? forbidden : so ? { status: 200, body: { data: serviceOrgJson(so, ids()), _links: {} } } : notFound;
    }
    case '/api/service-orgs/{id}/customers': {
      const soId = idIn();
      return canSeeCustomers ? page(options, path, query, estate.listCustomers().filter((c) => c.soId === soId), (c) => customerJson(c, ids())) : forbidden;
    }
    case '/api/customers':
      return canSeeCustomers ? page(options, path, query, estate.listCustomers(), (c) => customerJson(c, ids())) : forbidden;
    case '/api/customers/{id}': {
      const customer = estate.customers.get(idIn());
      return !canSeeCustomers ? forbidden : customer ? { status: 200, body: { data: customerJson(customer, ids()), _links: {} } } : notFound;
    }
    case '/api/customers/{id}/sites': {
      const customerId = idIn();
      return canSeeCustomers ? page(options, path, query, estate.listSites().filter((s) => s.customerId === customerId), (s) => siteJson(s, ids())) : forbidden;
    }
    case '/api/sites':
      return canSeeCustomers ? page(options, path, query, estate.listSites(), (s) => siteJson(s, ids())) : forbidden;
    case '/api/sites/{id}': {
      const site = estate.sites.get(idIn());
      return !canSeeCustomers ? forbidden : site ? { status: 200, body: { data: siteJson(site, ids()), _links: {} } } : notFound;
    }
    case '/api/org-units':
      return canSeeCustomers ? page(options, path, query, orgUnits(), (u) => orgUnitJson(u, ids())) : forbidden;
    case '/api/org-units/{id}': {
      const unit = orgUnits().find((u) => u.id === idIn());
      return !canSeeCustomers ? forbidden : unit ? { status: 200, body: { data: orgUnitJson(unit, ids()), _links: {} } } : notFound;
    }
    case '/api/org-units/{id}/children': {
      const parent = idIn();
      return canSeeCustomers ? page(options, path, query, orgUnits().filter((u) => u.parentId === parent), (u) => orgUnitJson(u, ids())) : forbidden;
    }
    case '/api/org-units/{id}/devices': {
      const unit = idIn();
      const soOf = (customerId: number) => estate.customers.get(customerId)?.soId;
      // Our guess (§4): a customer's devices include those of its sites.
      return page(options, path, query, devicesOf((d) => d.customerId === unit || d.siteId === unit || soOf(d.customerId) === unit), deviceRow);
    }
    case '/api/devices': {
      const filterId = query.get('filterId');
      if (filterId !== null && filterId !== '1') return { status: 400, body: { status: 400, message: `Unknown filterId ${filterId}` } };
      if (!canSeeDevices && options.permissions?.devicesAs === 'forbidden') return forbidden;
      // The whole list as it stands, without a copy: the benchmark pages through 100,000 devices.
      return page(options, path, query, canSeeDevices ? estate.listDevices() : [], deviceRow);
    }
    case '/api/devices/{id}': {
      if (!canSeeDevices) return forbidden;
      const device = estate.devices.get(idIn());
      return device ? { status: 200, body: { data: deviceJson(device, estate, ids()), _links: {} } } : notFound;
    }
    case '/api/devices/{id}/assets': {
      if (!canSeeDevices) return forbidden;
      const device = estate.devices.get(idIn());
      const assets = device ? estate.assets(device.deviceId) : null;
      // Probes have no asset record (§6.6).
      return device && assets ? { status: 200, body: { data: assetsJson(device, assets), _links: {} } } : notFound;
    }
    case '/api/device-filters':
      return page(options, path, query, [{ filterId: '1', filterName: 'All Devices', description: 'Every device' }], (f) => f);
    default:
      return notFound;
  }
}

function page(options: FakeNcentralOptions, path: string, query: URLSearchParams, rows: readonly unknown[], write: (row: never) => object): Answer {
  const pageNumberText = query.get('pageNumber') ?? '1';
  const pageSizeText = query.get('pageSize') ?? '50';
  if (!/^\d+$/.test(pageNumberText) || !/^\d+$/.test(pageSizeText) || Number(pageNumberText) < 1 || Number(pageSizeText) < 1) {
    return { status: 400, body: { status: 400, message: 'pageNumber and pageSize must be positive integers' } };
  }
  const maxPageSize = options.maxPageSize ?? 1000;
  const asked = Number(pageSizeText);
  if (asked > maxPageSize && options.pageSizeAboveMax === 'reject') {
    return { status: 400, body: { status: 400, message: `pageSize must be between 1 and ${maxPageSize}` } };
  }
  const pageSize = Math.min(asked, maxPageSize);
  const pageNumber = options.ignorePageNumber ? 1 : Number(pageNumberText);
  const totalItems = rows.length;
  const totalPages = Math.ceil(totalItems / pageSize);
  const data = rows.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((row) => write(row as never));
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
