import { sql, type CompiledQuery, type Kysely, type RawBuilder, type SelectQueryBuilder, type Transaction } from 'kysely';
import { fanOut } from './distribution.js';
import type { DB, ProvisioningLogRow } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/** What operators filter the log by; every field narrows. userName matches ignoring case. */
export interface LogFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  outcome?: 'success' | 'failure' | undefined;
  operation?: string | undefined;
  userName?: string | undefined;
  externalId?: string | undefined;
  userId?: string | undefined;
  requestId?: string | undefined;
}

/**
 * A place in the log's order (occurred_at, id). The time is kept as microseconds since the epoch because
 * PostgreSQL stores microseconds and a JavaScript Date holds milliseconds: a rounded position would skip or
 * repeat entries within the same millisecond.
 */
export interface LogPosition {
  occurredAtUs: string;
  id: string;
}

export type Direction = 'newest-first' | 'oldest-first';

/** A stored entry plus its time in microseconds since the epoch, which the keyset cursor needs. */
export type LogRow = ProvisioningLogRow & { occurred_us: string };

/** tenantId undefined: every tenant (service-wide admins and the CLI only; the service decides). */
function scoped(db: Db, tenantId: string | undefined) {
  const query = db.selectFrom('provisioning_log').select([
    sql<string>`id::text`.as('id'),
    'tenant_id',
    'occurred_at',
    sql<string>`(extract(epoch from occurred_at) * 1000000)::bigint::text`.as('occurred_us'),
    'client_id',
    'request_id',
    'operation',
    'target_id',
    'target_user_name',
    'target_external_id',
    'http_status',
    'outcome',
    'scim_type',
    'detail',
    'changes',
    'duration_ms',
  ]);
  return tenantId === undefined ? query : query.where('tenant_id', '=', tenantId);
}

type NameKind = 'userName' | 'externalId';

/** `column` holds `name`: a userName ignoring case (as PostgreSQL folds it, and as the indexes are built), an externalId exactly. */
const sameName = (by: NameKind, column: string, name: string) =>
  by === 'userName' ? sql<boolean>`lower(${sql.ref(column)}) = lower(${name})` : sql<boolean>`${sql.ref(column)} = ${name}`;

/**
 * The ids of a tenant's users that carry `name` now or carried it before (renamed or deleted). Successful
 * entries are found by user id through these, so the log keeps no userName/externalId index over them
 * (migrations/2026-12-01-0040): each would cost every SCIM write its upkeep.
 */
function idsNamed(tenant: RawBuilder<string>, by: NameKind, name: string) {
  const column = by === 'userName' ? 'user_name' : 'external_id';
  return sql`array(
    select id from accounts where tenant_id = ${tenant} and ${sameName(by, column, name)}
    union all select account_id from account_former_names where tenant_id = ${tenant} and ${sameName(by, column, name)})`;
}

/**
 * An entry names `name`: either one the partial index holds (no user id, or a failure: nothing vouches for
 * the name) or one of a user who had it. Written as two OR arms so each is an index scan: the partial index,
 * then (tenant_id, target_id).
 */
function namesTarget(tenant: RawBuilder<string>, by: NameKind, name: string) {
  const matches = sameName(by, by === 'userName' ? 'target_user_name' : 'target_external_id', name);
  return sql<boolean>`((${matches} and (target_id is null or outcome = 'failure'))
    or (target_id = any(${idsNamed(tenant, by, name)}) and ${matches}))`;
}

function filtered<O>(query: SelectQueryBuilder<DB, 'provisioning_log', O>, f: LogFilter, tenant: RawBuilder<string>) {
  let q = query;
  if (f.from) q = q.where('occurred_at', '>=', f.from);
  if (f.to) q = q.where('occurred_at', '<', f.to);
  if (f.outcome) q = q.where('outcome', '=', f.outcome);
  if (f.operation) q = q.where('operation', '=', f.operation);
  if (f.userName !== undefined) q = q.where(namesTarget(tenant, 'userName', f.userName));
  if (f.externalId !== undefined) q = q.where(namesTarget(tenant, 'externalId', f.externalId));
  if (f.userId !== undefined) q = q.where('target_id', '=', f.userId);
  if (f.requestId !== undefined) q = q.where('request_id', '=', f.requestId);
  return q;
}

const positionTime = (p: LogPosition) => sql`(timestamptz 'epoch' + ${p.occurredAtUs}::bigint * interval '1 microsecond')`;

/**
 * One page in (occurred_at, id) order, strictly after `after`. Keyset paging: entries written meanwhile
 * (newer than the first page) never shift a page or make it repeat, unlike OFFSET.
 *
 * The log's only time index leads with the tenant (a second, service-wide one cost every SCIM write its
 * upkeep: bench/README.md), so a service-wide page is each tenant's own page through that index, merged.
 */
export async function findLogEntries(
  db: Db,
  tenantId: string | undefined,
  filter: LogFilter,
  page: { after?: LogPosition | undefined; limit: number; direction: Direction },
): Promise<LogRow[]> {
  const result = await db.executeQuery<LogRow>(logPageQuery(db, tenantId, filter, page));
  return result.rows;
}

/** The statement findLogEntries runs, compiled but not run: its plan is what the index tests look at. */
export function logPageQuery(
  db: Db,
  tenantId: string | undefined,
  filter: LogFilter,
  page: { after?: LogPosition | undefined; limit: number; direction: Direction },
): CompiledQuery<LogRow> {
  // Service-wide, each tenant's page comes from a lateral join over tenants (below), whose row is `t`.
  let query = filtered(scoped(db, tenantId), filter, tenantId === undefined ? sql<string>`t.id` : sql<string>`${tenantId}::uuid`);
  const newestFirst = page.direction === 'newest-first';
  const after = page.after;
  if (after) {
    query = newestFirst
      ? query.where(sql<boolean>`(occurred_at, id) < (${positionTime(after)}, ${after.id}::bigint)`)
      : query.where(sql<boolean>`(occurred_at, id) > (${positionTime(after)}, ${after.id}::bigint)`);
  }
  const order = newestFirst ? 'desc' : 'asc';
  // Qualified: a bare "id" in ORDER BY would name the text column selected above, not the bigint key.
  const ordered = query.orderBy('provisioning_log.occurred_at', order).orderBy('provisioning_log.id', order).limit(page.limit);
  if (tenantId !== undefined) return ordered.compile() as CompiledQuery<LogRow>;
  const perTenant = ordered.where(sql<boolean>`provisioning_log.tenant_id = t.id`);
  return sql<LogRow>`
    select e.* from tenants as t cross join lateral (${perTenant}) as e
    order by e.occurred_at ${sql.raw(order)}, e.id::bigint ${sql.raw(order)} limit ${page.limit}${fanOut('service-wide-log-read')}`.compile(db);
}

/** Every tenant's key, for the service-wide reads: each then walks that tenant's own index. */
const everyTenant = sql<boolean>`tenant_id = any(array(select id from tenants))`;

export async function findLogEntryById(db: Db, tenantId: string | undefined, id: string): Promise<LogRow | undefined> {
  if (tenantId === undefined) {
    const any = scoped(db, undefined).where(everyTenant).where('id', '=', sql<string>`${id}::bigint`);
    return any.modifyEnd(fanOut('service-wide-log-read')).executeTakeFirst() as Promise<LogRow | undefined>;
  }
  return scoped(db, tenantId).where('id', '=', sql<string>`${id}::bigint`).executeTakeFirst() as Promise<LogRow | undefined>;
}

export interface SummaryRow {
  hour: string;
  operation: string;
  outcome: 'success' | 'failure';
  count: number;
}

/** Counts per UTC hour, operation and outcome in [from, to). */
export async function summarizeLog(db: Db, tenantId: string | undefined, from: Date, to: Date): Promise<SummaryRow[]> {
  // to_char in UTC: a bare `timestamp` would be read back by the driver in the process's local time zone.
  const hour = sql<string>`to_char(date_trunc('hour', occurred_at at time zone 'UTC'), 'YYYY-MM-DD"T"HH24":00:00Z"')`;
  let query = db
    .selectFrom('provisioning_log')
    .select([hour.as('hour'), 'operation', 'outcome', sql<string>`count(*)::int`.as('count')])
    .where('occurred_at', '>=', from)
    .where('occurred_at', '<', to);
  query = tenantId === undefined ? query.where(everyTenant).modifyEnd(fanOut('service-wide-log-read')) : query.where('tenant_id', '=', tenantId);
  const rows = await query.groupBy([sql`1`, 'operation', 'outcome']).orderBy(sql`1`).orderBy('operation').orderBy('outcome').execute();
  return rows.map((r) => ({ hour: r.hour, operation: r.operation, outcome: r.outcome, count: Number(r.count) }));
}

/**
 * Deletes at most `batchSize` rows of `table` older than `cutoff`, tenant by tenant, each statement pinned to
 * one tenant (`tenant_id = $1`, through its (tenant_id, occurred_at) index) so it runs on that tenant's shard
 * alone under Citus (issue 18; a ctid picked across tenants means nothing there). Returns how many went per
 * tenant. Callers loop until a batch comes back short, so no statement holds many row locks or runs long.
 */
export async function purgeOldestPerTenant(
  db: Db,
  table: 'provisioning_log' | 'asset_changes',
  cutoff: Date,
  batchSize: number,
): Promise<Array<{ tenantId: string; deleted: number }>> {
  const counts: Array<{ tenantId: string; deleted: number }> = [];
  let left = batchSize;
  const tenants = await db.selectFrom('tenants').select('id').orderBy('id').execute();
  for (const { id: tenantId } of tenants) {
    if (left <= 0) break;
    const result = await sql<{ deleted: string | number }>`
      with gone as (
        delete from ${sql.table(table)}
        where tenant_id = ${tenantId} and id = any(array(
          select id from ${sql.table(table)} where tenant_id = ${tenantId} and occurred_at < ${cutoff} order by occurred_at limit ${left}
        ))
        returning 1
      )
      select count(*)::int as deleted from gone`.execute(db);
    const deleted = Number(result.rows[0]?.deleted ?? 0);
    if (deleted > 0) counts.push({ tenantId, deleted });
    left -= deleted;
  }
  return counts;
}

/** The provisioning log's batch of the retention purge (purgeOldestPerTenant). */
export function purgeLogBatch(db: Db, cutoff: Date, batchSize: number): Promise<Array<{ tenantId: string; deleted: number }>> {
  return purgeOldestPerTenant(db, 'provisioning_log', cutoff, batchSize);
}
