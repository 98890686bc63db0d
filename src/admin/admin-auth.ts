import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { HttpFailure } from '../http/errors.js';
import type { AdminPrincipal, Authenticator } from '../http/principal.js';
import type { Database } from '../store/database.js';
import { authenticateAdminToken } from './admin-token-service.js';

export const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

/** 401 with the RFC 6750 §3 challenge; the detail never echoes the credential. */
function unauthorized(detail: string, invalidToken: boolean): HttpFailure {
  return new HttpFailure({
    status: 401,
    reason: 'unauthorized',
    detail,
    headers: { 'www-authenticate': invalidToken ? 'Bearer realm="admin", error="invalid_token"' : 'Bearer realm="admin"' },
  });
}

/**
 * Authenticates `/admin/v1/**` by an admin token (`admin-token create`). SCIM credentials are a different kind
 * of token and are refused here with 401, so an Entra credential can never read operators' data.
 */
export function createAdminAuthenticator(deps: { database: Database; clock: Clock }): Authenticator<AdminPrincipal> {
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (header === undefined) throw unauthorized('An admin token is required (Authorization: Bearer).', false);
    const match = BEARER.exec(header);
    if (!match?.[1]) throw unauthorized('The Authorization header must be "Bearer <admin token>".', true);
    const principal = await authenticateAdminToken({ db: deps.database.db, clock: deps.clock }, match[1]);
    if (!principal) throw unauthorized('The admin token is not valid.', true);
    return principal;
  };
}

/** What every admin route can rely on once the scope's hook has run. */
export function adminPrincipal(request: FastifyRequest): AdminPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'admin') {
    throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'This route needs an admin credential.' });
  }
  return principal;
}

/**
 * Puts every route registered in `routes` behind the admin authenticator. Register admin route plugins through
 * this (app.ts does, under /admin/v1) rather than adding hooks per route, so none is left open by mistake.
 */
export function adminScope(authenticator: Authenticator<AdminPrincipal>, routes: Array<(app: FastifyInstance) => Promise<void>>) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('onRequest', async (request) => {
      request.principal = await authenticator(request);
    });
    for (const register of routes) await app.register(register);
  };
}

/**
 * The one tenant an admin reads or acts on: a tenant-scoped token's own (naming another with ?tenant= is 403); a
 * service-wide admin must name one with ?tenant=, so no route mixes tenants' portal data in one answer. A write
 * needs the admin role: a viewer may only read (403).
 */
export function actingTenant(request: FastifyRequest, requested: string | undefined, write = false): string {
  const principal = adminPrincipal(request);
  if (write && principal.role !== 'admin') {
    throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'This admin token may only read.' });
  }
  if (principal.tenantId !== null) {
    if (requested !== undefined && requested.toLowerCase() !== principal.tenantId) {
      throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'This admin token may act only on its own tenant.' });
    }
    return principal.tenantId;
  }
  if (requested === undefined) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'A service-wide admin token must name the tenant: ?tenant=<id>.' });
  return requested.toLowerCase();
}
