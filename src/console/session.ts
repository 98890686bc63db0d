import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConsoleRole } from '../config.js';

/**
 * What the console remembers about a browser, kept in one signed cookie (HMAC-SHA256 by @fastify/cookie), so any
 * replica with the same CONSOLE_SESSION_SECRET reads it. A signed-in session also carries the id of its
 * server-side record (`console_sessions`), checked on every request so sign-out, revoking the admin token, an
 * allow-list change or disabling the tenant ends it. An anonymous session carries only the CSRF token (the
 * sign-in form needs one) and, during OpenID sign-in, the nonce.
 */
export interface ConsoleSession {
  /** Synchronizer token every state-changing form must echo (compared in constant time). */
  csrf: string;
  /** Absolute expiry, epoch milliseconds. */
  expiresAt: number;
  /** Set once signed in. */
  user?: SignedInUser;
  /** Set once signed in: the session id (256 random bits) whose SHA-256 keys the server-side record. */
  sid?: string;
  /** OpenID Connect nonce of a sign-in in progress (OIDC Core §3.1.2.1), checked against the id_token. */
  nonce?: string;
}

export interface SignedInUser {
  /** Who, in words: the admin token's label or the person's e-mail/UPN. */
  subject: string;
  via: 'admin-token' | 'oidc';
  /** The admin token signed in with, re-checked on every request so revoking it ends the session. */
  tokenId?: string | undefined;
  /** The id_token's `sub` of an OIDC sign-in: the stable id the audit trail names the person by (issue 19). */
  oidcSubject?: string | undefined;
  role: ConsoleRole;
  /** The tenant whose data every page shows; null until a service-wide operator picks one. */
  tenantId: string | null;
  tenantName: string | null;
  /** A service-wide operator may switch tenants; a tenant's operator never can. */
  serviceWide: boolean;
}

export const newToken = (): string => randomBytes(32).toString('base64url');

export function anonymousSession(now: Date, ttlMs: number): ConsoleSession {
  return { csrf: newToken(), expiresAt: now.getTime() + ttlMs };
}

/** Signing in starts a new session (fresh CSRF token) so nothing from before sign-in carries over. */
export function signedInSession(user: SignedInUser, sid: string, expiresAt: Date): ConsoleSession {
  return { csrf: newToken(), expiresAt: expiresAt.getTime(), user, sid };
}

export function encodeSession(session: ConsoleSession): string {
  return Buffer.from(JSON.stringify(session), 'utf8').toString('base64url');
}

/** The payload of a cookie whose signature already checked out; anything malformed or expired is no session. */
export function decodeSession(value: string, now: Date): ConsoleSession | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const s = parsed as Partial<ConsoleSession>;
  if (typeof s.csrf !== 'string' || typeof s.expiresAt !== 'number' || s.expiresAt <= now.getTime()) return undefined;
  // A signed-in cookie without a session id predates server-side sessions: it cannot be revoked, so it is none.
  if (s.user !== undefined && (!isUser(s.user) || typeof s.sid !== 'string')) return undefined;
  return s as ConsoleSession;
}

function isUser(u: unknown): u is SignedInUser {
  if (typeof u !== 'object' || u === null) return false;
  const x = u as Record<string, unknown>;
  return (
    typeof x['subject'] === 'string' &&
    (x['via'] === 'admin-token' || x['via'] === 'oidc') &&
    (x['role'] === 'viewer' || x['role'] === 'admin') &&
    (typeof x['tenantId'] === 'string' || x['tenantId'] === null) &&
    typeof x['serviceWide'] === 'boolean'
  );
}

export function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
