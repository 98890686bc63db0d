/**
 * Access and refresh tokens of one N-central session (../shared/ncentral-api.md §2, §9.1). The User-API JWT is
 * exchanged for an access token (default 1 h) and a refresh token (25 h). Renewal happens before expiry (at 90%
 * of `expirySeconds`, by the injected clock) and after a 401; concurrent callers share one renewal. A refresh
 * that fails for any reason but the network falls back to a full authenticate.
 */
import type { Clock } from '../clock.js';
import { NcentralError } from './client-error.js';
import { isObject, readText } from './wire.js';

export interface TokenPair {
  access: string;
  accessExpirySeconds: number;
  refresh: string | null;
  refreshExpirySeconds: number;
}

export interface TokenSessionDeps {
  authenticate(): Promise<TokenPair>;
  refresh(refreshToken: string): Promise<TokenPair>;
  clock: Clock;
  renewed(via: 'authenticate' | 'refresh', reason: 'initial' | 'expiring' | 'unauthorized'): void;
}

/** Renew when this share of a token's lifetime has passed. */
const RENEW_AT = 0.9;

interface Held {
  token: string;
  renewAt: number;
}

export class TokenSession {
  // ES-private: a logged or serialised client must not carry its tokens along.
  #access: Held | null = null;
  #refreshToken: Held | null = null;
  #renewing: Promise<string> | null = null;
  /** Every token this session has seen, so messages can be scrubbed of them. */
  readonly #issued = new Set<string>();

  constructor(private readonly deps: TokenSessionDeps) {}

  /** A usable access token, renewing first when none is held or the held one is about to expire. */
  async accessToken(): Promise<string> {
    if (this.#renewing) return this.#renewing;
    const now = this.deps.clock.now().getTime();
    if (this.#access && now < this.#access.renewAt) return this.#access.token;
    return this.renew(this.#access ? 'expiring' : 'initial');
  }

  /** After a 401 for `rejected`: renew once, unless another caller already did or is doing it. */
  async afterUnauthorized(rejected: string): Promise<string> {
    if (this.#renewing) return this.#renewing;
    if (this.#access && this.#access.token !== rejected) return this.#access.token;
    return this.renew('unauthorized');
  }

  /** Hold tokens obtained outside a renewal (an explicit authenticate). */
  adopt(pair: TokenPair): void {
    this.hold(pair);
    this.deps.renewed('authenticate', 'initial');
  }

  /** Drop what is held (tests, and a caller that knows the server restarted). */
  forget(): void {
    this.#access = null;
    this.#refreshToken = null;
  }

  /** The access token held now, if any (logout needs one). */
  held(): string | null {
    return this.#access?.token ?? null;
  }

  secrets(): Iterable<string> {
    return this.#issued;
  }

  private renew(reason: 'initial' | 'expiring' | 'unauthorized'): Promise<string> {
    const renewing = this.obtain(reason).finally(() => {
      this.#renewing = null;
    });
    this.#renewing = renewing;
    return renewing;
  }

  private async obtain(reason: 'initial' | 'expiring' | 'unauthorized'): Promise<string> {
    const now = this.deps.clock.now().getTime();
    const refresh = this.#refreshToken && now < this.#refreshToken.renewAt ? this.#refreshToken.token : null;
    if (refresh !== null) {
      try {
        const pair = await this.deps.refresh(refresh);
        this.hold(pair);
        this.deps.renewed('refresh', reason);
        return pair.access;
      } catch (error) {
        // A used, expired or unknown refresh token (e.g. after a server restart) → authenticate afresh.
        if (!(error instanceof NcentralError) || error.kind === 'network' || error.kind === 'timeout' || error.kind === 'tls' || error.kind === 'notAllowed') {
          throw error;
        }
      }
    }
    this.forget();
    const pair = await this.deps.authenticate();
    this.hold(pair);
    this.deps.renewed('authenticate', reason);
    return pair.access;
  }

  private hold(pair: TokenPair): void {
    const now = this.deps.clock.now().getTime();
    this.#access = { token: pair.access, renewAt: now + pair.accessExpirySeconds * 1000 * RENEW_AT };
    this.#refreshToken = pair.refresh === null ? null : { token: pair.refresh, renewAt: now + pair.refreshExpirySeconds * 1000 * RENEW_AT };
    // Only the latest few matter for scrubbing; keep the set from growing over a week-long process.
    if (this.#issued.size > 32) this.#issued.clear();
    this.#issued.add(pair.access);
    if (pair.refresh !== null) this.#issued.add(pair.refresh);
  }
}

/** The authenticate/refresh answer: `{ tokens: { access: { token, expirySeconds }, refresh: { … } } }`. */
export function readTokenPair(body: unknown): TokenPair | null {
  if (!isObject(body)) return null;
  const tokens = isObject(body['tokens']) ? body['tokens'] : isObject(body['data']) && isObject(body['data']['tokens']) ? body['data']['tokens'] : null;
  if (tokens === null) return null;
  const access = tokens['access'];
  const refresh = tokens['refresh'];
  if (!isObject(access)) return null;
  const accessToken = readText(access['token']);
  if (accessToken === null) return null;
  const seconds = (value: unknown, fallback: number) => {
    const n = typeof value === 'string' ? Number(value) : value;
    return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return {
    access: accessToken,
    accessExpirySeconds: seconds(access['expirySeconds'], 3600),
    refresh: isObject(refresh) ? readText(refresh['token']) : null,
    refreshExpirySeconds: isObject(refresh) ? seconds(refresh['expirySeconds'], 90_000) : 0,
  };
}
