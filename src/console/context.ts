import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleRole } from '../config.js';
import type { Deps } from '../deps.js';
import type { NcentralService } from '../ncentral/service.js';
import { HttpFailure } from '../http/errors.js';
import type { SafeHtml } from './html.js';
import type { OidcProvider } from './oidc.js';
import type { ConsoleSessionService } from './session-service.js';
import { decodeSession, encodeSession, type ConsoleSession, type SignedInUser } from './session.js';

/** Who an admin token belongs to; null when the token is unknown, revoked or expired. */
export interface AdminTokenIdentity {
  /** null: a service-wide admin token (may look at every tenant). */
  tenantId: string | null;
  subject: string;
  role: ConsoleRole;
  /** The admin token's id, when the session should end as soon as the token is revoked. */
  tokenId?: string | undefined;
}
export type AdminTokenVerifier = (token: string) => Promise<AdminTokenIdentity | null>;

export interface ConsoleOptions {
  deps: Deps;
  /** Checks an admin token (the provisioning-log API's credential) for the token sign-in. */
  verifyAdminToken: AdminTokenVerifier;
  /** The N-central feature the admin API also uses; without it the console has no N-central pages. */
  ncentral?: NcentralService | undefined;
}

/** What every console route module receives. */
export interface ConsoleContext extends ConsoleOptions {
  cookie: CookieSettings;
  /** The server-side session records: opened at sign-in, checked on every request, revoked at sign-out. */
  sessions: ConsoleSessionService;
  /** The discovered OpenID provider, when OIDC is configured and discovery succeeded. */
  oidc: OidcProvider | undefined;
  /** Why OIDC is configured but unavailable (discovery failed at start), shown on the sign-in page. */
  oidcProblem: string | undefined;
}

/** Who may reach a console route; checked in one hook so no route can forget it. Default: `tenant`. */
export type Access = 'public' | 'signed-in' | 'tenant' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    consoleSession: ConsoleSession | null;
  }
}

export interface CookieSettings {
  name: string;
  path: string;
  secure: boolean;
  ttlMs: number;
}

/**
 * Over https the cookie takes the `__Host-` prefix: the browser then only accepts it from this exact host, secure,
 * with Path=/ — so a sibling subdomain cannot plant a session (RFC 6265bis §4.1.3.2).
 */
export function cookieSettings(secure: boolean, ttlMinutes: number): CookieSettings {
  return secure
    ? { name: '__Host-pp-console', path: '/', secure: true, ttlMs: ttlMinutes * 60_000 }
    : { name: 'pp-console', path: '/console', secure: false, ttlMs: ttlMinutes * 60_000 };
}

export function readSession(request: FastifyRequest, settings: CookieSettings, now: Date): ConsoleSession | null {
  const value = request.cookies[settings.name];
  if (!value) return null;
  const unsigned = request.unsignCookie(value);
  if (!unsigned.valid || unsigned.value === null) return null;
  return decodeSession(unsigned.value, now) ?? null;
}

export function writeSession(reply: FastifyReply, settings: CookieSettings, session: ConsoleSession, now: Date): void {
  reply.request.consoleSession = session;
  reply.setCookie(settings.name, encodeSession(session), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: settings.secure,
    path: settings.path,
    maxAge: Math.max(1, Math.floor((session.expiresAt - now.getTime()) / 1000)),
  });
}

export function clearSession(reply: FastifyReply, settings: CookieSettings): void {
  reply.request.consoleSession = null;
  reply.clearCookie(settings.name, { path: settings.path, secure: settings.secure, httpOnly: true, sameSite: 'lax' });
}

export function sendPage(reply: FastifyReply, body: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body.text);
}

/** The signed-in user of a route whose access hook already ran. */
export function userOf(request: FastifyRequest): SignedInUser {
  const user = request.consoleSession?.user;
  if (!user) throw new HttpFailure({ status: 401, reason: 'unauthorized', detail: 'Sign in to use the console.' });
  return user;
}

/** The tenant every query of this request is scoped to: from the session, never from the URL or form. */
export function tenantOf(request: FastifyRequest): { tenantId: string; role: ConsoleRole; user: SignedInUser } {
  const user = userOf(request);
  if (!user.tenantId) throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'Choose a tenant first.' });
  return { tenantId: user.tenantId, role: user.role, user };
}

/** A same-site path to return to after sign-in; anything else (other hosts, `//x`, `/\x`) goes to the start page. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string') return '/console';
  return /^\/console(\/[A-Za-z0-9._~\-/]*)?(\?[^\\\s]*)?$/.test(value) && !value.startsWith('//') ? value : '/console';
}

/** The form fields of a urlencoded POST as strings (repeated fields keep their last value). */
export function formOf(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  const out: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && typeof v[v.length - 1] === 'string') out[k] = v[v.length - 1] as string;
  }
  return out;
}

/** Query-string values as strings. */
export function queryOf(request: FastifyRequest): Record<string, string> {
  const q = request.query;
  const out: Record<string, string> = {};
  if (typeof q !== 'object' || q === null) return out;
  for (const [k, v] of Object.entries(q as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}
