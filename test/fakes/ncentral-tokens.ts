/**
 * Token issue and expiry in the fake N-central (../shared/ncentral-api.md §2): access 1 h and refresh 25 h by
 * default, `X-…-EXPIRY-OVERRIDE` may only shorten them, tokens live in memory (a restart — expireAll — drops
 * them all), and a used refresh token is spent (our guess, §10).
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';

export function fakeJwt(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS512' })}.${part({ sub: 'api-user', jti: randomBytes(8).toString('hex') })}.${randomBytes(32).toString('base64url')}`;
}

export class FakeTokens {
  private readonly access = new Map<string, number>();
  private readonly refresh = new Map<string, number>();
  /** Each access token's refresh token: logout ends both. */
  private readonly pairs = new Map<string, string>();

  constructor(
    private readonly clock: { now(): Date },
    private readonly lifetimes: () => { accessSeconds: number; refreshSeconds: number },
  ) {}

  /** The authenticate/refresh answer body. */
  issue(headers: http.IncomingHttpHeaders): object {
    const now = this.clock.now().getTime();
    const { accessSeconds, refreshSeconds } = this.lifetimes();
    const accessTtl = shorten(accessSeconds, headers['x-access-expiry-override']);
    const refreshTtl = shorten(refreshSeconds, headers['x-refresh-expiry-override']);
    const access = fakeJwt();
    const refresh = fakeJwt();
    this.access.set(access, now + accessTtl * 1000);
    this.refresh.set(refresh, now + refreshTtl * 1000);
    this.pairs.set(access, refresh);
    return {
      tokens: { access: { token: access, type: 'Bearer', expirySeconds: accessTtl }, refresh: { token: refresh, type: 'Body', expirySeconds: refreshTtl } },
      refresh: '/api/auth/refresh',
      validate: '/api/auth/validate',
    };
  }

  accessValid(token: string | null): boolean {
    const expires = token === null ? undefined : this.access.get(token);
    return expires !== undefined && this.clock.now().getTime() < expires;
  }

  /** True (and the token is gone) when it was a live refresh token. */
  spendRefresh(token: string): boolean {
    const expires = this.refresh.get(token);
    if (expires === undefined) return false;
    this.refresh.delete(token);
    return this.clock.now().getTime() < expires;
  }

  expireAll(): void {
    this.access.clear();
    this.refresh.clear();
    this.pairs.clear();
  }

  /** The specification's logout: the access token and its refresh token stop working. */
  logout(access: string): void {
    const refresh = this.pairs.get(access);
    if (refresh !== undefined) this.refresh.delete(refresh);
    this.pairs.delete(access);
    this.access.delete(access);
  }

  /** Sessions still open: access tokens neither expired nor logged out. */
  openSessions(): number {
    const now = this.clock.now().getTime();
    return [...this.access.values()].filter((expires) => now < expires).length;
  }
}

/** `X-ACCESS-EXPIRY-OVERRIDE: 120s|30m|1h` may only shorten the server's lifetime (§2). */
function shorten(seconds: number, header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : /^(\d+)([smh])$/.exec(value.trim());
  if (match === null) return seconds;
  const asked = Number(match[1]) * (match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1);
  return Math.min(seconds, asked);
}
