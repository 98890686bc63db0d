import type { FastifyInstance } from 'fastify';
import { SERVICE_WIDE } from '../audit/audit-entry.js';
import { InvalidCursorError } from '../audit/cursor.js';
import { createAuditReadService } from '../audit/read-service.js';
import { HttpFailure } from '../http/errors.js';
import { auditPage, type AuditView } from './audit-pages.js';
import { queryOf, sendPage, tenantOf, type ConsoleContext } from './context.js';

const PAGE_SIZE = 50;
const ACTION = /^[A-Za-z0-9_.:-]{1,200}$/;

/** `<input type="datetime-local">` sends `2026-01-15T10:00` without a zone; the console reads and shows UTC. */
function parseInstant(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const withZone = /(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`;
  const d = new Date(withZone);
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) && !Number.isNaN(d.getTime()) ? d : undefined;
}

/** Trimmed, at most 512 characters, and no NUL (PostgreSQL text cannot hold one: the query would fail). */
const textIn = (v: string | undefined): string | undefined => {
  const t = v?.replaceAll('\u0000', '').trim();
  return t ? t.slice(0, 512) : undefined;
};

export function auditViewFromQuery(q: Record<string, string>): AuditView {
  const from = parseInstant(q['from']);
  const to = parseInstant(q['to']);
  const outcome = q['outcome'] === 'success' || q['outcome'] === 'failure' || q['outcome'] === 'refused' ? q['outcome'] : undefined;
  const action = textIn(q['action']);
  return {
    from,
    // A reversed window shows nothing rather than an error page.
    to: from && to && to <= from ? from : to,
    actor: textIn(q['actor']),
    action: action && ACTION.test(action) ? action : undefined,
    target: textIn(q['target']),
    outcome,
    scope: q['scope'] === 'service' ? 'service' : 'tenant',
    cursor: textIn(q['cursor']),
  };
}

/**
 * Audit (issue 19): the tenant's audit trail for its admins (viewers are refused by the access hook), through the
 * same read service as GET /admin/v1/audit. A service-wide operator may also read the service-wide actions.
 */
export async function auditRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const audit = createAuditReadService(ctx.deps);

  app.get('/audit', { config: { access: 'admin' } }, async (request, reply) => {
    const { tenantId, role, user } = tenantOf(request);
    const view = auditViewFromQuery(queryOf(request));
    if (view.scope === 'service' && !user.serviceWide) {
      throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'Service-wide actions are shown to service-wide operators only.' });
    }
    const serviceChain = view.scope === 'service';
    const reader = { tenantId: user.serviceWide ? null : tenantId, role };
    let page;
    try {
      page = await audit.list(reader, {
        tenant: serviceChain ? SERVICE_WIDE : tenantId,
        filter: { from: view.from, to: view.to, actor: view.actor, action: view.action, target: view.target, outcome: view.outcome },
        cursor: view.cursor,
        limit: PAGE_SIZE,
      });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'That page link is not valid any more; start again from the newest entries.' });
      throw err;
    }
    return sendPage(reply, auditPage({ session: request.consoleSession, view, page, serviceWide: user.serviceWide }));
  });
}
