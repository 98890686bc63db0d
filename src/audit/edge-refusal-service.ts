import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { HttpFailure } from '../http/errors.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import type { DB } from '../store/tables.js';
import { SERVICE_WIDE, type AuditOutcome, type AuditTarget } from './audit-entry.js';
import { actorFromRequest } from './request-actor.js';

/** What a state-changing route records when the edge refuses it before its service runs. */
export interface AuditedRoute {
  action: string;
  target?: (request: FastifyRequest) => AuditTarget | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on routes that change state: a refusal at the edge (viewer, bad input) is written to the audit trail. */
    audit?: AuditedRoute;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What the edge refused, as an audit outcome: a signed-in caller without the right (403) is `refused`, a request
 * the route's schema turned away is `failure`. Everything else that fails is the service's to record (it knows
 * the target and wrote its failure entry already), or a caller not signed in, which is no one to name.
 */
function edgeOutcome(error: FastifyError): AuditOutcome | undefined {
  if (error instanceof HttpFailure) return error.failure.status === 403 ? 'refused' : undefined;
  if (error.validation !== undefined) return 'failure';
  return undefined;
}

/**
 * The chain an edge refusal joins: the tenant the caller is bound to, else the one it named with ?tenant=, else
 * the service-wide chain. Never a tenant taken from a body.
 */
function tenantOfRefusal(request: FastifyRequest): string {
  const bound = request.consoleSession?.user?.tenantId ?? (request.principal?.kind === 'admin' ? request.principal.tenantId : null);
  if (bound) return bound;
  const named = (request.query as Record<string, unknown> | undefined)?.['tenant'];
  return typeof named === 'string' && UUID.test(named) ? named.toLowerCase() : SERVICE_WIDE;
}

/**
 * Writes one audit entry for each refusal, at the edge, of a route marked `config.audit` in this plugin's scope
 * (issue 19: a viewer refused is as much an audit fact as an admin's change). Written in its own transaction:
 * nothing of the request was written.
 */
export function recordEdgeRefusals(app: FastifyInstance, db: Kysely<DB>): void {
  app.addHook('onError', async (request, _reply, error) => {
    const route = request.routeOptions.config.audit;
    if (!route) return;
    const outcome = edgeOutcome(error);
    if (!outcome) return;
    const actor = actorFromRequest(request);
    if (actor.type === 'anonymous') return;
    const target = route.target?.(request);
    try {
      await appendAuditEntry(db, {
        tenantId: tenantOfRefusal(request),
        actor,
        action: route.action,
        ...(target ? { target } : {}),
        outcome,
        detail: { status: error instanceof HttpFailure ? error.failure.status : 400, message: error.message.slice(0, 300) },
      });
    } catch (err) {
      // The answer to the caller stands either way; a trail that could not be written is the operator's alarm.
      request.log.error({ err, action: route.action }, 'audit entry for a refused request could not be written');
    }
  });
}
