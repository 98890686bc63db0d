import { setTimeout as sleep } from 'node:timers/promises';
import { UnknownTenantError, resolveTenant } from '../admin/admin-token-service.js';
import { SERVICE_WIDE } from '../audit/audit-entry.js';
import { InvalidCursorError } from '../audit/cursor.js';
import type { AuditEntryView } from '../audit/entry-view.js';
import { auditPositionBefore, createAuditReadService, type AuditFilter, type AuditQuery } from '../audit/read-service.js';
import { CommandFailure, emit, UsageError, type CommandContext } from './command.js';
import { parseOptions } from './options.js';

const FILTERS = ['from', 'to', 'tenant', 'actor', 'action', 'target', 'outcome'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const auditReadUsage = [
  'audit search [--from T] [--to T] [--tenant ID|NAME|service-wide] [--actor ID|E-MAIL] [--action A|PREFIX.]',
  '              [--target TYPE:ID|ID] [--outcome success|failure|refused] [--limit N] [--cursor C]',
  '       audit tail [same filters] [--interval MS] [--max N] [--once]   (from now, or from --from; Ctrl-C stops)',
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

/**
 * --tenant: a tenant's name, or an id (taken as is: entries outlive the tenants they describe, so a deleted
 * tenant's trail is still readable), or `service-wide` for the actions that belong to no tenant.
 */
async function tenantOf(ctx: CommandContext, text: string | undefined): Promise<string | undefined> {
  if (text === undefined) return undefined;
  if (text === 'service-wide') return SERVICE_WIDE;
  if (UUID.test(text)) return text.toLowerCase();
  return (await resolveTenant((await ctx.deps()).database.db, text)).id;
}

async function queryFrom(ctx: CommandContext, values: Map<string, string>): Promise<AuditQuery> {
  const outcome = values.get('outcome');
  if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure' && outcome !== 'refused') {
    throw new UsageError('--outcome must be success, failure or refused');
  }
  const action = values.get('action');
  if (action !== undefined && !/^[A-Za-z0-9_.:-]{1,200}$/.test(action)) throw new UsageError('--action must be an action (tenant.create) or a prefix ending in a dot (tenant.)');
  const filter: AuditFilter = {
    from: date(values.get('from'), 'from'),
    to: date(values.get('to'), 'to'),
    actor: values.get('actor'),
    action,
    target: values.get('target'),
    outcome,
  };
  return { tenant: await tenantOf(ctx, values.get('tenant')), filter };
}

const changeText = (changes: Record<string, unknown> | null): string =>
  changes === null
    ? ''
    : Object.entries(changes)
        .map(([field, c]) => {
          const change = typeof c === 'object' && c !== null ? (c as { old?: unknown; new?: unknown }) : {};
          return `${field}: ${JSON.stringify(change.old ?? null)} -> ${JSON.stringify(change.new ?? null)}`;
        })
        .join('; ');

/** One line per entry for people: time, chain, action, outcome, who, what, and the change. */
function row(e: AuditEntryView): string {
  const chain = e.tenantId === SERVICE_WIDE ? 'service ' : e.tenantId.slice(0, 8);
  const who = `${e.actor.type}${e.actor.label ?? e.actor.id ? `:${e.actor.label ?? e.actor.id}` : ''}`;
  const what = e.target ? `${e.target.type ?? ''}:${e.target.id ?? ''}` : '-';
  const change = changeText(e.changes);
  return [e.occurredAt, chain, e.action.padEnd(24), e.outcome.padEnd(7), who, what].join('  ') + (change ? `  ${change}` : '');
}
const HEADER = ['time'.padEnd(24), 'tenant  ', 'action'.padEnd(24), 'outcome', 'actor', 'target'].join('  ');

/** Runs `audit search` or `audit tail`; undefined for any other action (the group's other commands). */
export async function runAuditRead(action: string | undefined, args: string[], ctx: CommandContext): Promise<number | undefined> {
  try {
    if (action === 'search') return await search(args, ctx);
    if (action === 'tail') return await tail(args, ctx);
    return undefined;
  } catch (err) {
    if (err instanceof UnknownTenantError) throw new CommandFailure(err.message);
    if (err instanceof InvalidCursorError) throw new UsageError('--cursor is not a cursor this tool printed');
    throw err;
  }
}

async function search(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positional } = parseOptions(args, { values: [...FILTERS, 'limit', 'cursor'] });
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const limit = integer(values.get('limit'), 'limit', 1, 1000) ?? 50;
  const query = await queryFrom(ctx, values);
  const audit = createAuditReadService(await ctx.deps());
  const page = await audit.list('cli', { ...query, cursor: values.get('cursor'), limit });
  emit(ctx, page, [
    ...(page.entries.length === 0 ? ['no matching entries'] : [HEADER, ...page.entries.map(row)]),
    ...(page.nextCursor ? ['', `more: add --cursor ${page.nextCursor}`] : []),
  ]);
  return 0;
}

/**
 * Polls for entries after the last one printed (the same keyset order as the API's export), so nothing is
 * printed twice between polls. With --json, one entry per line (NDJSON) as they arrive.
 */
async function tail(args: string[], ctx: CommandContext): Promise<number> {
  const { values, flags, positional } = parseOptions(args, { values: [...FILTERS, 'interval', 'max'], flags: ['once'] });
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const intervalMs = integer(values.get('interval'), 'interval', 10, 3_600_000) ?? 2000;
  const max = integer(values.get('max'), 'max', 1, 1_000_000_000);
  const { tenant, filter } = await queryFrom(ctx, values);
  const { from, ...rest } = filter;
  const audit = createAuditReadService(await ctx.deps());
  const query = { tenant, filter: rest };
  const stop = new AbortController();
  const unsubscribe = ctx.onInterrupt(() => stop.abort());
  try {
    // From --from, or from the newest entry now (nothing yet: from the beginning, which is then empty).
    let position = from ? auditPositionBefore(from) : ((await audit.since('cli', query, undefined)).position ?? auditPositionBefore(new Date(0)));
    let printed = 0;
    if (!ctx.json) ctx.out(HEADER);
    for (;;) {
      const batch = await audit.since('cli', query, position);
      for (const entry of batch.entries) {
        ctx.out(ctx.json ? JSON.stringify(entry) : row(entry));
        printed += 1;
        if (max !== undefined && printed >= max) return 0;
      }
      position = batch.position ?? position;
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
