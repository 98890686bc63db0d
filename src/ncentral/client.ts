/**
 * N-central REST client (the "API-Service", ../shared/ncentral-api.md). No database here: it pages through
 * service organizations, customers, sites and devices, fetches single devices and their assets, and hides the
 * server's manners — token renewal, per-endpoint concurrency limits, 429/5xx retries with backoff, clamped
 * page sizes, string ids, zone-less timestamps. The User-API token never appears in a message or an event.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock.js';
import type {
  NcCallOptions,
  NcClientEvent,
  NcCustomer,
  NcDevice,
  NcDeviceAssets,
  NcDeviceFilter,
  NcDeviceListOptions,
  NcDeviceLookup,
  NcEndpoint,
  NcListOptions,
  NcOrgUnit,
  NcPage,
  NcServerInfo,
  NcServiceOrg,
  NcSite,
} from './api-types.js';
import { interpretAnswer, scrubSecrets, type Credential } from './answer.js';
import { backoffDelay, parseRetryAfter, type BackoffPolicy } from './backoff.js';
import { PUBLIC_ONLY, type AllowedHosts } from './allowed-hosts.js';
import { normaliseNcentralUrl } from './base-url.js';
import { NcentralError } from './client-error.js';
import { systemResolver, type HostResolver } from './destination-guard.js';
import { KeyedSemaphore } from './keyed-semaphore.js';
import { DEFAULT_NCENTRAL_LIMITS, exceedsFieldLength, misbehaved, type NcentralLimits } from './limits.js';
import { readPages } from './paging.js';
import { readTokenPair, TokenSession, type TokenPair } from './token-session.js';
import { OversizedAnswer, Transport, type HttpAnswer } from './transport.js';
import {
  isObject,
  readId,
  toAssets,
  toCustomer,
  toDevice,
  toDeviceFilter,
  toOrgUnit,
  toServerInfo,
  toServerInfoExtra,
  toServiceOrg,
  toSite,
} from './wire.js';

export { NcentralError } from './client-error.js';
export type { NcentralErrorKind } from './client-error.js';

export interface NcentralClientOptions {
  /** FQDN or any portal URL; normalised to https://host[:port]. */
  baseUrl: string;
  /** The User-API JWT. Never logged, never in an error message. */
  userApiToken: string;
  /** A private CA bundle (PEM). Without it Node's store is used, which honours NODE_EXTRA_CA_CERTS. */
  caPem?: string;
  /** In-flight calls per endpoint template; N-central answers 429 above its own small limits. Default 3. */
  concurrencyPerEndpoint?: number;
  /** Per-template overrides, e.g. `{ '/api/devices/{id}/assets': 2 }`. */
  concurrencyByEndpoint?: Partial<Record<NcEndpoint, number>>;
  /** Page size to ask for, 1–1000 (the server's answer wins; a 400 for the size steps down to 200, then 50). Default 1000. */
  pageSize?: number;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
  /** Retries after the first attempt for 429, 5xx, timeouts and dropped connections. Default 6. */
  maxRetries?: number;
  backoff?: BackoffPolicy;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onEvent?: (event: NcClientEvent) => void;
  /** Aborting it stops the client as close() does: calls in flight and waiting retries fail at once. */
  signal?: AbortSignal;
  /** Where the client may connect (NCENTRAL_ALLOWED_HOSTS). Default: public addresses only. */
  allowedHosts?: AllowedHosts;
  /** Resolves host names for the destination check; tests inject one to play DNS. Default: the system's. */
  resolveHost?: HostResolver;
  /** Tests only: allow http:// so pure-logic tests can skip TLS. */
  allowPlainHttp?: boolean;
  /** Caps on what this client reads (one client serves one run); defaults in limits.ts. */
  limits?: Partial<NcentralLimits>;
}

export interface NcClientStats {
  requests: number;
  retries: number;
  pages: number;
  tokenRenewals: number;
  /** Bytes of every answer body received. */
  bytes: number;
}

type Auth = 'none' | 'access' | 'userApiToken' | { refreshToken: string };

interface Call {
  endpoint: NcEndpoint;
  path: string;
  method?: 'GET' | 'POST';
  auth: Auth;
  body?: string;
  maxRetries?: number;
  /** Renew the access token and replay once after a 401 (default). Off where a 401 may mean "not yours to see". */
  replayOn401?: boolean;
}

/**
 * Lists have no default order: the specification says that without `sortBy` "no sorting is applied", so page
 * boundaries would rest on an unspecified order and a device could be skipped or read twice. Every listing sorts
 * on its id, ascending.
 */
const SORT_KEY: Partial<Record<NcEndpoint, string>> = {
  '/api/service-orgs': 'soId',
  '/api/customers': 'customerId',
  '/api/sites': 'siteId',
  '/api/devices': 'deviceId',
  '/api/org-units/{id}/devices': 'deviceId',
  '/api/device-filters': 'filterId',
};

/** The product version in /api/server-info/extra (`data._extra`), e.g. "2024.6.0.19". */
const EXTRA_VERSION_KEY = 'Installation: Deployment Product Version';


const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class NcentralClient {
  readonly baseUrl: string | null;
  private readonly badUrlReason: string | null;
  /** ES-private so that neither JSON.stringify nor util.inspect of a client can reveal the JWT. */
  readonly #token: string;
  private readonly transport: Transport | null;
  private readonly session: TokenSession;
  private readonly semaphore: KeyedSemaphore;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoff: BackoffPolicy | undefined;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly onEvent: ((event: NcClientEvent) => void) | undefined;
  private readonly counters: NcClientStats = { requests: 0, retries: 0, pages: 0, tokenRenewals: 0, bytes: 0 };
  private readonly limits: NcentralLimits;
  private readonly lifetime = new AbortController();

  constructor(options: NcentralClientOptions) {
    const url = normaliseNcentralUrl(options.baseUrl, { allowPlainHttp: options.allowPlainHttp === true });
    // A bad address does not throw here: every call rejects with kind 'badUrl', so verify can name it.
    this.baseUrl = url.ok ? url.url : null;
    this.badUrlReason = url.ok ? null : url.reason;
    const guard = { allowed: options.allowedHosts ?? PUBLIC_ONLY, resolve: options.resolveHost ?? systemResolver };
    this.transport = url.ok ? new Transport(url.url, options.caPem, guard) : null;
    this.#token = options.userApiToken.trim();
    const perEndpoint = options.concurrencyPerEndpoint ?? 3;
    const overrides: Partial<Record<string, number>> = options.concurrencyByEndpoint ?? {};
    this.semaphore = new KeyedSemaphore((key) => overrides[key] ?? perEndpoint);
    this.pageSize = Math.max(1, Math.min(1000, Math.floor(options.pageSize ?? 1000)));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = Math.max(0, options.maxRetries ?? 6);
    this.backoff = options.backoff;
    this.clock = options.clock ?? { now: () => new Date() };
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.onEvent = options.onEvent;
    this.limits = { ...DEFAULT_NCENTRAL_LIMITS, ...options.limits };
    // Every call in flight and every waiting retry listens for close(): hundreds at once are normal here.
    setMaxListeners(0, this.lifetime.signal);
    if (options.signal !== undefined) {
      const outer = options.signal;
      if (outer.aborted) this.lifetime.abort();
      else outer.addEventListener('abort', () => this.lifetime.abort(), { once: true, signal: this.lifetime.signal });
    }
    this.session = new TokenSession({
      clock: this.clock,
      authenticate: () => this.exchangeTokens({ endpoint: '/api/auth/authenticate', path: '/api/auth/authenticate', method: 'POST', auth: 'userApiToken' }),
      refresh: (refreshToken) =>
        this.exchangeTokens({ endpoint: '/api/auth/refresh', path: '/api/auth/refresh', method: 'POST', auth: { refreshToken }, body: refreshToken }),
      renewed: (via, reason) => {
        this.counters.tokenRenewals += 1;
        this.emit({ type: 'tokenRenewed', via, reason });
      },
    });
  }

  /**
   * Version information. The specification puts /api/server-info behind the access token (public clients call it
   * after authenticating: eagle00789/PS-NCentral-RESTAPI `Connect-Ncentral`, mostafa-n-able/N-central-REST).
   */
  async serverInfo(options: NcCallOptions = {}): Promise<NcServerInfo> {
    const answer = await this.call({ endpoint: '/api/server-info', path: '/api/server-info', auth: 'access', ...retryBudget(options) });
    return toServerInfo(answer);
  }

  /** The product version from /api/server-info/extra (token-protected), for servers whose server-info says `ncentral: null`. */
  async serverInfoExtraVersion(options: NcCallOptions = {}): Promise<string | null> {
    const answer = await this.call({ endpoint: '/api/server-info/extra', path: '/api/server-info/extra', auth: 'access', ...retryBudget(options) });
    return toServerInfoExtra(answer, EXTRA_VERSION_KEY);
  }

  /**
   * Ends the session: the specification's logout invalidates both tokens, so nightly runs across hundreds of
   * tenants leave no sessions open on the customer's server. Best effort: one attempt, no renewal, never throws.
   */
  async logout(): Promise<boolean> {
    if (this.session.held() === null || this.lifetime.signal.aborted) return false;
    try {
      await this.call({ endpoint: '/api/auth/logout', path: '/api/auth/logout', method: 'POST', auth: 'access', maxRetries: 0, replayOn401: false });
      return true;
    } catch {
      return false;
    } finally {
      this.session.forget();
    }
  }

  /** Exchanges the User-API token for fresh tokens now (verify uses it to tell a bad token apart). */
  async authenticate(options: NcCallOptions = {}): Promise<void> {
    const pair = await this.exchangeTokens({ endpoint: '/api/auth/authenticate', path: '/api/auth/authenticate', method: 'POST', auth: 'userApiToken', ...retryBudget(options) });
    this.session.adopt(pair);
  }

  serviceOrgs(options: NcListOptions = {}): AsyncIterable<NcPage<NcServiceOrg>> {
    return this.list('/api/service-orgs', '/api/service-orgs', toServiceOrg, options);
  }

  customers(options: NcListOptions = {}): AsyncIterable<NcPage<NcCustomer>> {
    return this.list('/api/customers', '/api/customers', toCustomer, options);
  }

  sites(options: NcListOptions = {}): AsyncIterable<NcPage<NcSite>> {
    return this.list('/api/sites', '/api/sites', toSite, options);
  }

  devices(options: NcDeviceListOptions = {}): AsyncIterable<NcPage<NcDevice>> {
    const filterId = options.filterId === undefined ? null : readId(options.filterId);
    return this.list('/api/devices', '/api/devices', toDevice, options, filterId === null ? '' : `&filterId=${filterId}`);
  }

  /** Devices under one org unit (a site; a customer, whose sites' devices are expected to be included). */
  orgUnitDevices(orgUnitId: string, options: NcListOptions = {}): AsyncIterable<NcPage<NcDevice>> {
    const id = readId(orgUnitId);
    if (id === null) throw new NcentralError('badResponse', 'An org unit id must be a number.', { retryable: false });
    return this.list('/api/org-units/{id}/devices', `/api/org-units/${id}/devices`, toDevice, options);
  }

  deviceFilters(options: NcListOptions = {}): AsyncIterable<NcPage<NcDeviceFilter>> {
    return this.list('/api/device-filters', '/api/device-filters', toDeviceFilter, options);
  }

  /** One device (the specification wraps it in `data`); null when N-central answers 404 (deleted, or never existed). */
  async device(id: string): Promise<NcDevice | null> {
    const deviceId = readId(id);
    if (deviceId === null) return null;
    const body = await this.callOrNull({ endpoint: '/api/devices/{id}', path: `/api/devices/${deviceId}`, auth: 'access' });
    if (body === null) return null;
    return this.single('/api/devices/{id}', body, toDevice);
  }

  /**
   * Whether a device missing from a complete listing is really gone. What N-central answers for a deleted or
   * out-of-scope device is not documented (../shared/ncentral-api.md, December 2026): a 404, a 200 whose assets
   * say `device.deleted`, or a 401/403 "no permission". A 401 may also mean an expired token, so the token is
   * checked (and renewed if it is the token) before a 401 is taken as "no permission".
   */
  async lookUpDevice(id: string): Promise<NcDeviceLookup> {
    const deviceId = readId(id);
    if (deviceId === null) return { answer: 'notFound', status: 404 };
    const get = () => this.call({ endpoint: '/api/devices/{id}', path: `/api/devices/${deviceId}`, auth: 'access', replayOn401: false });
    let body: unknown;
    try {
      body = await get();
    } catch (error) {
      if (!(error instanceof NcentralError)) throw error;
      if (error.kind === 'notFound') return { answer: 'notFound', status: 404 };
      if (error.status === 403) return { answer: 'noPermission', status: 403 };
      if (error.status !== 401) throw error;
      await this.call({ endpoint: '/api/auth/validate', path: '/api/auth/validate', auth: 'access' });
      try {
        body = await get();
      } catch (again) {
        if (!(again instanceof NcentralError)) throw again;
        if (again.kind === 'notFound') return { answer: 'notFound', status: 404 };
        if (again.status === 401 || again.status === 403) return { answer: 'noPermission', status: again.status };
        throw again;
      }
    }
    const device = this.single('/api/devices/{id}', body, toDevice);
    const assets = await this.deviceAssets(deviceId);
    if (assets?.deleted) return { answer: 'deleted', status: 200 };
    return { answer: 'present', status: 200, device };
  }

  /** One customer; the specification returns the single org-unit GETs unwrapped (no `data`), a wrapped one is read too. */
  async customer(id: string): Promise<NcCustomer | null> {
    return this.orgUnitGet('/api/customers/{id}', '/api/customers', id, toCustomer);
  }

  async site(id: string): Promise<NcSite | null> {
    return this.orgUnitGet('/api/sites/{id}', '/api/sites', id, toSite);
  }

  async serviceOrg(id: string): Promise<NcServiceOrg | null> {
    return this.orgUnitGet('/api/service-orgs/{id}', '/api/service-orgs', id, toServiceOrg);
  }

  async orgUnit(id: string): Promise<NcOrgUnit | null> {
    return this.orgUnitGet('/api/org-units/{id}', '/api/org-units', id, toOrgUnit);
  }

  /** A device's inventory; null on 404, which is what probes (no asset record) get. */
  async deviceAssets(id: string): Promise<NcDeviceAssets | null> {
    const deviceId = readId(id);
    if (deviceId === null) return null;
    const body = await this.callOrNull({ endpoint: '/api/devices/{id}/assets', path: `/api/devices/${deviceId}/assets`, auth: 'access' });
    if (body === null) return null;
    return this.single('/api/devices/{id}/assets', body, toAssets);
  }

  stats(): NcClientStats {
    return { ...this.counters };
  }

  /** Stops the client: calls in flight and waiting retries fail with a non-retryable error; sockets close. */
  async close(): Promise<void> {
    this.lifetime.abort();
    this.transport?.close();
  }

  private async orgUnitGet<T>(endpoint: NcEndpoint, base: string, id: string, read: (raw: unknown) => T | null): Promise<T | null> {
    const orgUnitId = readId(id);
    if (orgUnitId === null) return null;
    const body = await this.callOrNull({ endpoint, path: `${base}/${orgUnitId}`, auth: 'access' });
    return body === null ? null : this.single(endpoint, body, read);
  }

  /** A single-object answer, wrapped in `data` or not; capped like list items. */
  private single<T>(endpoint: NcEndpoint, body: unknown, read: (raw: unknown) => T | null): T {
    const raw = isObject(body) && isObject(body['data']) ? body['data'] : body;
    if (exceedsFieldLength(raw, this.limits.maxFieldChars)) throw misbehaved(endpoint, `sent a field longer than ${this.limits.maxFieldChars} characters`);
    const item = read(raw);
    if (item === null) throw new NcentralError('badResponse', `N-central answered ${endpoint} without a readable object.`, { endpoint, retryable: false });
    return item;
  }

  private list<T>(endpoint: NcEndpoint, basePath: string, read: (raw: unknown) => T | null, options: NcListOptions, extraQuery = ''): AsyncIterable<NcPage<T>> {
    const sortKey = SORT_KEY[endpoint];
    const sort = sortKey === undefined ? '' : `&sortBy=${sortKey}&sortOrder=asc`;
    return readPages({
      endpoint,
      limits: this.limits,
      pageSize: Math.max(1, Math.min(1000, Math.floor(options.pageSize ?? this.pageSize))),
      fetch: (pageNumber, pageSize) =>
        this.call({ endpoint, path: `${basePath}?pageNumber=${pageNumber}&pageSize=${pageSize}${sort}${extraQuery}`, auth: 'access', ...retryBudget(options) }),
      read,
      skipped: () => this.emit({ type: 'itemSkipped', endpoint, reason: 'missing or unreadable id' }),
      fetched: (page) => {
        this.counters.pages += 1;
        this.emit({ type: 'page', endpoint, pageNumber: page.pageNumber, pageSize: page.pageSize, items: page.items.length, totalPages: page.totalPages });
      },
    });
  }

  private async callOrNull(call: Call): Promise<unknown> {
    try {
      return await this.call(call);
    } catch (error) {
      if (error instanceof NcentralError && error.kind === 'notFound') return null;
      throw error;
    }
  }

  private async exchangeTokens(call: Call): Promise<TokenPair> {
    const body = await this.call(call);
    const pair = readTokenPair(body);
    if (pair === null) {
      throw new NcentralError('badResponse', `N-central answered ${call.endpoint} without tokens.`, { endpoint: call.endpoint, status: 200, retryable: false });
    }
    return pair;
  }

  /** One logical call: permits, token, retries, one replay after a 401. Resolves to the parsed JSON body. */
  private async call(call: Call): Promise<unknown> {
    if (this.transport === null) {
      throw new NcentralError('badUrl', this.badUrlReason ?? 'The N-central address is not valid.', { retryable: false });
    }
    const transport = this.transport;
    const closed = () => new NcentralError('network', 'The N-central client was closed.', { endpoint: call.endpoint, retryable: false });
    let attempt = 0;
    let replayed = false;
    for (;;) {
      if (this.lifetime.signal.aborted) throw closed();
      const accessToken = call.auth === 'access' ? await this.session.accessToken() : null;
      let answer: HttpAnswer | null = null;
      let failure: NcentralError | null = null;
      const budget = this.limits.maxBytesPerRun - this.counters.bytes;
      if (budget <= 0) throw misbehaved(call.endpoint, `sent more than ${this.limits.maxBytesPerRun} bytes in one run`);
      const release = await this.semaphore.acquire(call.endpoint);
      const started = Date.now();
      try {
        this.counters.requests += 1;
        answer = await transport.send({
          maxBodyBytes: Math.min(this.limits.maxAnswerBytes, budget),
          method: call.method ?? 'GET',
          path: call.path,
          headers: this.headersFor(call, accessToken),
          ...(call.body === undefined ? {} : { body: call.body }),
          timeoutMs: this.timeoutMs,
          endpoint: call.endpoint,
          signal: this.lifetime.signal,
        });
      } catch (error) {
        answer = null;
        if (error instanceof OversizedAnswer) {
          throw error.limit < this.limits.maxAnswerBytes
            ? misbehaved(call.endpoint, `sent more than ${this.limits.maxBytesPerRun} bytes in one run`)
            : misbehaved(call.endpoint, `sent an answer larger than ${this.limits.maxAnswerBytes} bytes`);
        }
        failure = error instanceof NcentralError ? error : new NcentralError('network', `Calling N-central ${call.endpoint} failed.`, { endpoint: call.endpoint });
      } finally {
        release();
      }
      if (answer !== null) {
        this.counters.bytes += answer.bytes;
        this.emit({ type: 'request', endpoint: call.endpoint, method: call.method ?? 'GET', status: answer.status, durationMs: Date.now() - started });
        // N-central's 429 means "too many in flight on this endpoint" (§7): carry fewer, earn them back on success.
        if (answer.status === 429) this.semaphore.throttled(call.endpoint);
        else if (answer.status < 300) this.semaphore.succeeded(call.endpoint);
        if (answer.status === 401 && accessToken !== null && !replayed && call.replayOn401 !== false) {
          // Expired or dropped (server restart) access token: renew once — shared with concurrent callers — and replay.
          replayed = true;
          await this.session.afterUnauthorized(accessToken);
          continue;
        }
        const outcome = interpretAnswer(answer, { endpoint: call.endpoint, credential: credentialOf(call.auth) }, (text) => this.scrub(text));
        if (outcome.ok) return outcome.body;
        failure = outcome.error;
      }
      if (failure === null) failure = new NcentralError('network', `Calling N-central ${call.endpoint} failed.`, { endpoint: call.endpoint });
      if (!failure.retryable || attempt >= (call.maxRetries ?? this.maxRetries)) throw failure;
      attempt += 1;
      const retryAfter = answer === null ? null : parseRetryAfter(answer.headers['retry-after'], this.clock.now());
      const delayMs = retryAfter ?? backoffDelay(attempt, this.random, this.backoff);
      this.counters.retries += 1;
      this.emit({ type: 'retry', endpoint: call.endpoint, attempt, status: failure.status ?? null, kind: failure.kind, delayMs });
      await this.pause(delayMs);
    }
  }

  /** The injected sleep, cut short when the client is closed. */
  private async pause(ms: number): Promise<void> {
    const signal = this.lifetime.signal;
    if (signal.aborted) return;
    let onAbort = () => {};
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.sleep(ms), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private headersFor(call: Call, accessToken: string | null): Record<string, string> {
    if (call.auth === 'access' && accessToken !== null) return { authorization: `Bearer ${accessToken}` };
    if (call.auth === 'userApiToken') return { authorization: `Bearer ${this.#token}` };
    if (typeof call.auth === 'object') return { 'content-type': 'text/plain' };
    return {};
  }

  /** Remove every token this client knows from text that may end up in a message. */
  private scrub(text: string): string {
    return scrubSecrets(text, [this.#token, ...this.session.secrets()]);
  }

  private emit(event: NcClientEvent): void {
    if (this.onEvent === undefined) return;
    try {
      this.onEvent(event);
    } catch {
      // An observer's bug must not break a sync.
    }
  }
}

function credentialOf(auth: Auth): Credential {
  if (auth === 'access') return 'accessToken';
  if (auth === 'none') return 'none';
  return 'userApiToken';
}

function retryBudget(options: NcCallOptions): { maxRetries?: number } {
  return options.maxRetries === undefined ? {} : { maxRetries: Math.max(0, options.maxRetries) };
}
