import { createHash } from 'node:crypto';
import type { Deps } from '../deps.js';
import {
  deleteExpiredConsoleSessions,
  findConsoleSession,
  insertConsoleSession,
  revokeConsoleSession,
  touchConsoleSession,
} from '../store/console-sessions.js';
import { newToken, type SignedInUser } from './session.js';
import { judgeSession, type SessionVerdict } from './session-verdict.js';

/** last_seen_at is written at most this often per session, not on every page. */
const TOUCH_INTERVAL_MS = 60_000;
/** Expired sessions deleted per sign-in: each sign-in adds one row and clears up to this many, so they cannot pile up. */
const PURGE_BATCH = 100;

export interface ConsoleSessionService {
  /** Records a signed-in session and returns its id (256 random bits), which only the browser's cookie carries. */
  open(user: SignedInUser, identityClaims: Record<string, unknown> | null, expiresAt: Date): Promise<string>;
  /** Whether the session still stands; read on every console request, so revocation takes effect at once. */
  check(sessionId: string, user: SignedInUser): Promise<SessionVerdict>;
  /** Sign-out: the id stops working on every replica, whatever the browser keeps. */
  revoke(sessionId: string): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Looked up by digest: a SHA-256 of 256 random bits needs no slow hash, and the table alone opens no session. */
const digest = (sessionId: string): string => createHash('sha256').update(sessionId, 'utf8').digest('hex');

export function createConsoleSessionService(deps: Pick<Deps, 'database' | 'clock' | 'config'>): ConsoleSessionService {
  const { database, clock, config } = deps;
  return {
    async open(user, identityClaims, expiresAt) {
      const now = clock.now();
      const sessionId = newToken();
      await deleteExpiredConsoleSessions(database.db, now, PURGE_BATCH);
      await insertConsoleSession(database.db, {
        idHash: digest(sessionId),
        tenantId: user.serviceWide ? null : user.tenantId,
        via: user.via,
        subject: user.subject,
        role: user.role,
        adminTokenId: user.tokenId ?? null,
        identityClaims,
        createdAt: now,
        expiresAt,
      });
      return sessionId;
    },

    async check(sessionId, user) {
      const now = clock.now();
      const idHash = digest(sessionId);
      // The cookie is signed, so its tenant id is one we wrote; a malformed one simply finds no tenant.
      const viewed = user.tenantId !== null && UUID.test(user.tenantId) ? user.tenantId : null;
      const record = await findConsoleSession(database.db, idHash, viewed);
      const verdict = judgeSession(record, user, now, config.oidc);
      if (verdict.kind !== 'ended' && record && now.getTime() - record.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
        await touchConsoleSession(database.db, idHash, now);
      }
      return verdict;
    },

    async revoke(sessionId) {
      await revokeConsoleSession(database.db, digest(sessionId), clock.now());
    },
  };
}
