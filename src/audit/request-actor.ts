import { userInfo } from 'node:os';
import type { FastifyRequest } from 'fastify';
import type {} from '../console/context.js';
import type { AuditActor } from './audit-entry.js';

/** A user agent is the caller's own text: kept short enough that it cannot bloat every entry. */
const MAX_USER_AGENT_CHARS = 512;

/**
 * Who made a request, for the audit trail: a console session (admin token or OIDC, with the person's subject and
 * e-mail), else the admin token the API was called with, else anonymous — always with source address and user
 * agent. Never reads a credential itself: only ids established by authentication.
 */
export function actorFromRequest(request: FastifyRequest): AuditActor {
  const agent = request.headers['user-agent'];
  const where = { sourceIp: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, MAX_USER_AGENT_CHARS) : undefined };
  const user = request.consoleSession?.user;
  if (user) {
    return user.via === 'oidc'
      ? { type: 'oidc', id: user.oidcSubject ?? user.subject, label: user.subject, ...where }
      : { type: 'console', id: user.tokenId, label: user.subject, ...where };
  }
  const principal = request.principal;
  if (principal?.kind === 'admin') return { type: 'admin_token', id: adminTokenId(principal.subject), ...where };
  return { type: 'anonymous', ...where };
}

/** Admin principals are named `admin-token:<id>` (src/admin/admin-token-service.ts); the entry keeps the id. */
function adminTokenId(subject: string): string {
  return subject.startsWith('admin-token:') ? subject.slice('admin-token:'.length) : subject;
}

/** The CLI (or the control channel running a CLI command) acts as the OS user who ran it. */
export function cliActor(user: string = osUser()): AuditActor {
  return { type: 'cli', id: user };
}

/** The scheduler or a background job, named by its job. */
export function systemActor(job: string): AuditActor {
  return { type: 'system', id: job };
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A container user with no passwd entry has no name; the uid still says who.
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}
