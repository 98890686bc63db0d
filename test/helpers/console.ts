import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { AdminTokenIdentity, AdminTokenVerifier } from '../../src/console/context.js';

/**
 * A browser for inject(): keeps cookies, and fills each form's CSRF token from the last page it saw, as a person
 * submitting the page's own form would.
 */
export class ConsoleBrowser {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;
  last: LightMyRequestResponse | undefined;

  constructor(readonly app: FastifyInstance) {}

  private remember(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      if (c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const token = /name="_csrf" value="([^"]*)"/.exec(res.body)?.[1];
    if (token) this.csrf = token;
    this.last = res;
    return res;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.remember(await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader() } }));
  }

  /** Posts a form with the page's CSRF token unless `form._csrf` is given (or `null` to leave it out). */
  async post(url: string, form: Record<string, string | null> = {}): Promise<LightMyRequestResponse> {
    const fields: Record<string, string> = {};
    if (!('_csrf' in form) && this.csrf) fields['_csrf'] = this.csrf;
    for (const [k, v] of Object.entries(form)) if (v !== null) fields[k] = v;
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      }),
    );
  }
}

/** Admin tokens a test hands out: token text → who it is. */
export function fakeAdminTokens(tokens: Record<string, AdminTokenIdentity>): AdminTokenVerifier {
  return async (token) => tokens[token] ?? null;
}

/** Signs a browser in with an admin token through the real sign-in form. */
export async function signInWithToken(browser: ConsoleBrowser, token: string): Promise<LightMyRequestResponse> {
  await browser.get('/console/sign-in');
  return browser.post('/console/sign-in/token', { token, next: '/console/logs' });
}

/** Start → the provider's authorize endpoint (which signs in the chosen person) → our callback, as a browser would. */
export async function oidcSignIn(browser: ConsoleBrowser, tamper?: (callback: URL) => void): Promise<LightMyRequestResponse> {
  const start = await browser.get('/console/sign-in/oidc');
  if (start.statusCode !== 303) throw new Error(`start answered ${start.statusCode}`);
  const authorize = await fetch(String(start.headers.location), { redirect: 'manual' });
  const callback = new URL(String(authorize.headers.get('location')));
  tamper?.(callback);
  return browser.get(`${callback.pathname}${callback.search}`);
}

/** The payload of the browser's signed session cookie (what the server wrote), for tests that look inside. */
export function sessionCookiePayload(browser: ConsoleBrowser): Record<string, unknown> {
  const value = [...browser.cookies].find(([name]) => name.endsWith('pp-console'))?.[1];
  if (!value) throw new Error('no session cookie');
  return JSON.parse(Buffer.from(value.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
