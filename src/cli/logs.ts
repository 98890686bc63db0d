import { setTimeout as sleep } from 'node:timers/promises';
import { UnknownTenantError, resolveTenant } from '../admin/admin-token-service.js';
import { InvalidCursorError } from '../provisioning-log/cursor.js';
import { OPERATIONS } from '../provisioning-log/entry.js';
import {
  cliReader,
  entriesSince,
  isOperation,
  listEntries,
  positionBefore,
  purgeDepsOf,
  purgeExpiredEntries,
  type LogFilter,
} from '../provisioning-log/service.js';
import type { StoredEntry } from '../provisioning-log/stored-entry.js';
import { CommandFailure, emit, UsageError, type CommandContext, type CommandGroup } from './command.js';
import { parseOptions } from './options.js';

const FILTERS = ['from', 'to', 'tenant', 'outcome', 'operation', 'user-name', 'external-id', 'user-id', 'request-id'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const usage = [
  'logs search [--from T] [--to T] [--tenant ID|NAME] [--outcome success|failure] [--operation OP]',
  '              [--user-name U] [--external-id X] [--user-id UUID] [--request-id R] [--limit N] [--cursor C]',
  '       logs tail [same filters] [--interval MS] [--max N] [--once]   (from now, or from --from; Ctrl-C stops)',
  '       logs purge [--batch-size N]   (deletes entries older than RETENTION_DAYS)',
].join('\n');

function date(text: string | undefined, name: string): Date | undefined {
  if (text === undefined) return undefined;
  const value = new Date(text);
  if (Number.isNaN(value.getTime())) throw new UsageError(`--${name} must be a date-time (e.g. 2026-01-15T10:00:00Z)`);
  return value;
}

function integer(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return Number(text);
}

async function filtersFrom(ctx: CommandContext, values: Map<string, string>): Promise<{ tenant: string | undefined; filter: LogFilter }> {
  const outcome = values.get('outcome');
  if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure') throw new UsageError('--outcome must be success or failure');
  const operation = values.get('operation');
  if (operation !== undefined && !isOperation(operation)) throw new UsageError(`--operation must be one of: ${OPERATIONS.join(', ')}`);
  const userId = values.get('user-id');
  if (userId !== undefined && !UUID.test(userId)) throw new UsageError('--user-id must be a UUID');
  const tenantText = values.get('tenant');
  const deps = await ctx.deps();
  const tenant = tenantText === undefined ? undefined : (await resolveTenant(deps.database.db, tenantText)).id;
  return {
    tenant,
    filter: {
      from: date(values.get('from'), 'from'),
      to: date(values.get('to'), 'to'),
      outcome,
      operation,
      userName: values.get('user-name'),
      externalId: values.get('external-id'),
      userId: userId?.toLowerCase(),
      requestId: values.get('request-id'),
    },
  };
}

/** One line per entry for people: time, tenant, operation, outcome, status, user, and why it failed. */
function row(e: StoredEntry): string {
  const why = e.outcome === 'failure' ? `  ${[e.scimType, e.detail].filter(Boolean).join(': ')}` : '';
  return [
    e.occurredAt,
    e.tenantId.slice(0, 8),
    e.operation.padEnd(15),
    e.outcome.padEnd(7),
    String(e.httpStatus),
    e.target.userName ?? e.target.id ?? '-',
  ].join('  ') + why;
}
const HEADER = ['time'.padEnd(24), 'tenant  ', 'operation'.padEnd(15), 'outcome', 'http', 'user'].join('  ');

export const logsCommand: CommandGroup = {
  name: 'logs',
  summary: 'search, follow and purge the provisioning log',
  usage,
  async run(args, ctx) {
    const [action, ...rest] = args;
    try {
      if (action === 'search') return await search(rest, ctx);
      if (action === 'tail') return await tail(rest, ctx);
      if (action === 'purge') return await purge(rest, ctx);
      throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    } catch (err) {
      if (err instanceof UnknownTenantError) throw new CommandFailure(err.message);
      if (err instanceof InvalidCursorError) throw new UsageError('--cursor is not a cursor this tool printed');
      throw err;
    }
  },
};

async function search(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positional } = parseOptions(args, { values: [...FILTERS, 'limit', 'cursor'] });
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const limit = integer(values.get('limit'), 'limit', 1, 1000) ?? 50;
  const { tenant, filter } = await filtersFrom(ctx, values);
  const deps = await ctx.deps();
  const page = await listEntries({ db: deps.database.db }, cliReader, { tenant, filter, cursor: values.get('cursor'), limit });
  emit(ctx, page, [
    ...(page.entries.length === 0 ? ['no matching entries'] : [HEADER, ...page.entries.map(row)]),
    ...(page.nextCursor ? ['', `more: add --cursor ${page.nextCursor}`] : []),
  ]);
  return 0;
}

/**
 * Polls for entries after the last one printed (the same keyset cursor as the API), so nothing is printed twice
 * or skipped between polls. With --json, one entry per line (NDJSON) as they arrive.
 */
async function tail(args: string[], ctx: CommandContext): Promise<number> {
  const { values, flags, positional } = parseOptions(args, { values: [...FILTERS, 'interval', 'max'], flags: ['once'] });
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const intervalMs = integer(values.get('interval'), 'interval', 10, 3_600_000) ?? 2000;
  const max = integer(values.get('max'), 'max', 1, 1_000_000_000);
  const { tenant, filter } = await filtersFrom(ctx, values);
  const { from, ...rest } = filter;
  const deps = await ctx.deps();
  const read = { db: deps.database.db };
  const query = { tenant, filter: rest };
  const stop = new AbortController();
  const unsubscribe = ctx.onInterrupt(() => stop.abort());
  try {
    let position = from ? positionBefore(from) : (await entriesSince(read, cliReader, query, undefined)).position;
    let printed = 0;
    if (!ctx.json) ctx.out(HEADER);
    for (;;) {
      const batch = position === undefined
        ? await entriesSince(read, cliReader, query, positionBefore(new Date(0)))
        : await entriesSince(read, cliReader, query, position);
      for (const entry of batch.entries) {
        ctx.out(ctx.json ? JSON.stringify(entry) : row(entry));
        printed += 1;
        if (max !== undefined && printed >= max) return 0;
      }
      position = batch.position;
      if (flags.has('once') || stop.signal.aborted) return 0;
      try {
        await sleep(intervalMs, undefined, { signal: stop.signal });
      } catch {
        return 0;
      }
    }
  } finally {
    unsubscribe();
  }
}

async function purge(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positional } = parseOptions(args, { values: ['batch-size'] });
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const batchSize = integer(values.get('batch-size'), 'batch-size', 1, 100_000);
  const deps = await ctx.deps();
  const result = await purgeExpiredEntries({ ...purgeDepsOf(deps), actor: ctx.actor }, batchSize === undefined ? {} : { batchSize });
  emit(ctx, { retention_days: deps.config.retentionDays, ...result }, [
    `deleted ${result.deleted} entries older than ${result.cutoff} (RETENTION_DAYS=${deps.config.retentionDays}) in ${result.batches} batches`,
  ]);
  return 0;
}
