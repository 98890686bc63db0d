import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { adminPrincipal } from '../admin/admin-auth.js';
import { HttpFailure } from '../http/errors.js';
import type { Database } from '../store/database.js';
import { InvalidCursorError } from './cursor.js';
import { OPERATIONS } from './entry.js';
import {
  exportEntries,
  getEntry,
  listEntries,
  summarize,
  TenantScopeError,
  type LogFilter,
} from './service.js';
import { csvHeader, csvLine, ndjsonLine } from './stored-entry.js';
import { sendLineExport } from '../http/line-export.js';

const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
// RFC 3339 with an explicit offset, so "from" never depends on the server's time zone.
const Instant = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2})$' });
// PostgreSQL text cannot hold NUL (it refuses the query with an error), and no stored value contains one: 400.
const Text = Type.String({ minLength: 1, maxLength: 512, pattern: '^[^\\u0000]*$' });

const FilterFields = {
  from: Type.Optional(Instant),
  to: Type.Optional(Instant),
  tenant: Type.Optional(Uuid),
  outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
  operation: Type.Optional(Type.Union(OPERATIONS.map((o) => Type.Literal(o)))),
  userName: Type.Optional(Text),
  externalId: Type.Optional(Text),
  userId: Type.Optional(Uuid),
  requestId: Type.Optional(Text),
};
const ListQuery = Type.Object({
  ...FilterFields,
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
});
const ExportQuery = Type.Object({ ...FilterFields, format: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('csv')])) });
const SummaryQuery = Type.Object({ from: Type.Optional(Instant), to: Type.Optional(Instant), tenant: Type.Optional(Uuid) });

const FilterObject = Type.Object(FilterFields);
type Filters = Static<typeof FilterObject>;

const invalid = (detail: string) => new HttpFailure({ status: 400, reason: 'invalidInput', detail });

function instant(text: string | undefined, name: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw invalid(`${name} is not a valid date-time.`);
  return date;
}

function filterOf(q: Filters): LogFilter {
  const from = instant(q.from, 'from');
  const to = instant(q.to, 'to');
  if (from && to && from >= to) throw invalid('from must be earlier than to.');
  return {
    from,
    to,
    outcome: q.outcome,
    operation: q.operation,
    userName: q.userName,
    externalId: q.externalId,
    userId: q.userId?.toLowerCase(),
    requestId: q.requestId,
  };
}

/** Fastify drops unknown query parameters; a misspelt filter must fail loudly instead of widening the result. */
function onlyKnown(allowed: readonly string[]) {
  return async (request: FastifyRequest) => {
    const unknown = Object.keys(request.query as Record<string, unknown>).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) throw invalid(`Unknown query parameter: ${unknown.join(', ')}.`);
  };
}

/** Domain refusals in the admin API's words. */
function refusal(err: unknown): never {
  if (err instanceof InvalidCursorError) throw invalid('The cursor is not one this server issued.');
  if (err instanceof TenantScopeError) throw new HttpFailure({ status: 403, reason: 'forbidden', detail: err.message });
  throw err;
}

const MAX_SUMMARY_MS = 31 * 24 * 3600_000;

/** The provisioning-log admin API; registered inside the admin scope, so every route is authenticated. */
export function provisioningLogRoutes(deps: { database: Database; clock: { now(): Date } }) {
  const read = { db: deps.database.db };
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/provisioning-logs',
      { schema: { querystring: ListQuery }, preValidation: onlyKnown(Object.keys(ListQuery.properties)) },
      async (request) => {
        const q = request.query as Static<typeof ListQuery>;
        return listEntries(read, adminPrincipal(request), {
          tenant: q.tenant?.toLowerCase(),
          filter: filterOf(q),
          cursor: q.cursor,
          limit: q.limit ?? 50,
        }).catch(refusal);
      },
    );

    app.get(
      '/provisioning-logs/export',
      { schema: { querystring: ExportQuery }, preValidation: onlyKnown(Object.keys(ExportQuery.properties)) },
      async (request, reply) => {
        const q = request.query as Static<typeof ExportQuery>;
        const reader = adminPrincipal(request);
        const query = { tenant: q.tenant?.toLowerCase(), filter: filterOf(q) };
        const csv = q.format === 'csv';
        const entries = exportEntries(read, reader, query);
        // A refusal (wrong tenant) met in the first batch is still a clean 403, not a cut stream.
        return sendLineExport(reply, entries, { csvHeader, csvLine, ndjsonLine }, { csv, stem: 'provisioning-log', now: deps.clock.now(), refusal });
      },
    );

    app.get(
      '/provisioning-logs/summary',
      { schema: { querystring: SummaryQuery }, preValidation: onlyKnown(Object.keys(SummaryQuery.properties)) },
      async (request) => {
        const q = request.query as Static<typeof SummaryQuery>;
        const to = instant(q.to, 'to') ?? deps.clock.now();
        const from = instant(q.from, 'from') ?? new Date(to.getTime() - 24 * 3600_000);
        if (from >= to) throw invalid('from must be earlier than to.');
        if (to.getTime() - from.getTime() > MAX_SUMMARY_MS) throw invalid('The summary window is at most 31 days.');
        return summarize(read, adminPrincipal(request), { tenant: q.tenant?.toLowerCase(), from, to }).catch(refusal);
      },
    );

    app.get('/provisioning-logs/:id', async (request) => {
      const { id } = request.params as { id: string };
      const entry = await getEntry(read, adminPrincipal(request), id);
      if (!entry) throw new HttpFailure({ status: 404, reason: 'notFound', detail: `No provisioning-log entry ${id}.` });
      return entry;
    });
  };
}
