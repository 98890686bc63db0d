import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { adminPrincipal } from '../admin/admin-auth.js';
import { HttpFailure } from '../http/errors.js';
import { onlyKnownQuery } from '../http/query.js';
import { InvalidCursorError } from './cursor.js';
import { auditCsvHeader, auditCsvLine, auditNdjsonLine } from './entry-view.js';
import { AuditAccessError, type AuditFilter, type AuditReadService } from './read-service.js';
import { sendLineExport } from '../http/line-export.js';

const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
// RFC 3339 with an explicit offset, so "from" never depends on the server's time zone.
const Instant = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2})$' });
// PostgreSQL text cannot hold NUL (the query fails), and no stored value contains one: 400 rather than 500.
const Text = Type.String({ minLength: 1, maxLength: 512, pattern: '^[^\\u0000]*$' });

const FilterFields = {
  from: Type.Optional(Instant),
  to: Type.Optional(Instant),
  tenant: Type.Optional(Uuid),
  actor: Type.Optional(Text),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.:-]+$' })),
  target: Type.Optional(Text),
  outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('refused')])),
};
const ListQuery = Type.Object({
  ...FilterFields,
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
});
const ExportQuery = Type.Object({ ...FilterFields, format: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('csv')])) });
const FilterObject = Type.Object(FilterFields);

const invalid = (detail: string) => new HttpFailure({ status: 400, reason: 'invalidInput', detail });

function instant(text: string | undefined, name: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw invalid(`${name} is not a valid date-time.`);
  return date;
}

function filterOf(q: Static<typeof FilterObject>): AuditFilter {
  const from = instant(q.from, 'from');
  const to = instant(q.to, 'to');
  if (from && to && from >= to) throw invalid('from must be earlier than to.');
  return { from, to, actor: q.actor, action: q.action, target: q.target, outcome: q.outcome };
}

/** Domain refusals in the admin API's words. */
function refusal(err: unknown): never {
  if (err instanceof InvalidCursorError) throw invalid('The cursor is not one this server issued.');
  if (err instanceof AuditAccessError) throw new HttpFailure({ status: 403, reason: 'forbidden', detail: err.message });
  throw err;
}

/** GET /admin/v1/audit and its export (issue 19); inside the admin scope, so every route is authenticated. */
export function auditRoutes(deps: { audit: AuditReadService; clock: { now(): Date } }) {
  return async (app: FastifyInstance): Promise<void> => {
    // Route generics type request.query from the same schemas that validate it (no casts).
    app.get<{ Querystring: Static<typeof ListQuery> }>('/audit', { schema: { querystring: ListQuery }, preValidation: onlyKnownQuery(Object.keys(ListQuery.properties)) }, async (request) => {
      const q = request.query;
      return deps.audit
        .list(adminPrincipal(request), { tenant: q.tenant?.toLowerCase(), filter: filterOf(q), cursor: q.cursor, limit: q.limit ?? 50 })
        .catch(refusal);
    });

    app.get<{ Querystring: Static<typeof ExportQuery> }>(
      '/audit/export',
      { schema: { querystring: ExportQuery }, preValidation: onlyKnownQuery(Object.keys(ExportQuery.properties)) },
      async (request, reply) => {
        const q = request.query;
        const csv = q.format === 'csv';
        const entries = deps.audit.export(adminPrincipal(request), { tenant: q.tenant?.toLowerCase(), filter: filterOf(q) });
        const format = { csvHeader: auditCsvHeader, csvLine: auditCsvLine, ndjsonLine: auditNdjsonLine };
        return sendLineExport(reply, entries, format, { csv, stem: 'audit', now: deps.clock.now(), refusal });
      },
    );
  };
}
