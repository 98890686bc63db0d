import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpFailure } from '../http/errors.js';
import { InvalidCursorError } from '../provisioning-log/cursor.js';
import { OPERATIONS } from '../provisioning-log/entry.js';
import { exportEntries, getEntry, isOperation, listEntries, summarize, type LogFilter } from '../provisioning-log/service.js';
import { csvHeader, csvLine, ndjsonLine } from '../provisioning-log/stored-entry.js';
import { queryOf, sendPage, tenantOf, type ConsoleContext } from './context.js';
import { entryPage, logsPage, type LogsView } from './logs-pages.js';
import { sendLineExport } from '../http/line-export.js';

const HOUR = 3600_000;
const MAX_WINDOW_MS = 31 * 24 * HOUR;
const PAGE_SIZE = 50;

/** `<input type="datetime-local">` sends `2026-01-15T10:00` without a zone; the console reads and shows UTC. */
function parseInstant(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const withZone = /(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`;
  const d = new Date(withZone);
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) && !Number.isNaN(d.getTime()) ? d : undefined;
}

const trimmed = (v: string | undefined): string | undefined => {
  const t = v?.trim();
  return t ? t.slice(0, 512) : undefined;
};

/** The page's filters from its query string; the window defaults to the last 24 hours and is at most 31 days. */
export function viewFromQuery(q: Record<string, string>, now: Date): LogsView {
  const to = parseInstant(q['to']) ?? now;
  let from = parseInstant(q['from']) ?? new Date(to.getTime() - 24 * HOUR);
  if (from >= to) from = new Date(to.getTime() - HOUR);
  if (to.getTime() - from.getTime() > MAX_WINDOW_MS) from = new Date(to.getTime() - MAX_WINDOW_MS);
  const outcome = q['outcome'] === 'success' || q['outcome'] === 'failure' ? q['outcome'] : undefined;
  const operation = q['operation'] && isOperation(q['operation']) ? q['operation'] : undefined;
  return {
    from,
    to,
    toGiven: parseInstant(q['to']) !== undefined,
    outcome,
    operation,
    userName: trimmed(q['userName']),
    externalId: trimmed(q['externalId']),
    requestId: trimmed(q['requestId']),
    cursor: trimmed(q['cursor']),
  };
}

export const filterOfView = (v: LogsView): LogFilter => ({
  from: v.from,
  to: v.to,
  outcome: v.outcome,
  operation: v.operation,
  userName: v.userName,
  externalId: v.externalId,
  requestId: v.requestId,
});

/** Provisioning logs: the same service functions (and indexed keyset queries) as GET /admin/v1/provisioning-logs. */
export async function logsRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const read = { db: ctx.deps.database.db };
  const readerOf = (request: FastifyRequest) => ({ tenantId: tenantOf(request).tenantId });

  app.get('/logs', async (request, reply) => {
    const view = viewFromQuery(queryOf(request), ctx.deps.clock.now());
    const reader = readerOf(request);
    let page;
    try {
      page = await listEntries(read, reader, { filter: filterOfView(view), cursor: view.cursor, limit: PAGE_SIZE });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'That page link is not valid any more; start again from the newest entries.' });
      throw err;
    }
    // The chart covers the window, not the other filters: it shows how the period went as a whole.
    const summary = await summarize(read, reader, { from: view.from, to: view.to });
    return sendPage(reply, logsPage({ session: request.consoleSession, view, page, summary, operations: OPERATIONS }));
  });

  app.get('/logs/export', async (request, reply) => {
    const view = viewFromQuery(queryOf(request), ctx.deps.clock.now());
    const csv = queryOf(request)['format'] !== 'ndjson';
    const entries = exportEntries(read, readerOf(request), { filter: filterOfView(view) });
    return sendLineExport(reply, entries, { csvHeader, csvLine, ndjsonLine }, { csv, stem: 'provisioning-log', now: ctx.deps.clock.now() });
  });

  app.get('/logs/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const entry = await getEntry(read, readerOf(request), id);
    if (!entry) throw new HttpFailure({ status: 404, reason: 'notFound', detail: `There is no provisioning-log entry ${id} in this tenant.` });
    return sendPage(reply, entryPage(request.consoleSession, entry));
  });
}
