import { sql, type Kysely, type Transaction } from 'kysely';
import { fanOut } from './distribution.js';
import type { AssetChangeKind, AssetChangeRow, DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface AssetChangeWrite {
  assetId: string;
  kind: AssetChangeKind;
  detail: Record<string, unknown>;
}

/** Writes a run's change records; called inside the transaction that makes the changes. */
export async function insertAssetChanges(trx: Transaction<DB>, tenantId: string, runId: string, changes: AssetChangeWrite[], at: Date): Promise<void> {
  if (changes.length === 0) return;
  await trx
    .insertInto('asset_changes')
    .values(
      changes.map((c) => ({
        tenant_id: tenantId,
        run_id: runId,
        asset_id: c.assetId,
        kind: c.kind,
        detail: JSON.stringify(c.detail),
        occurred_at: at,
      })),
    )
    .execute();
}

export type AssetChangeListRow = AssetChangeRow & { asset_name: string | null };

function selectChanges(db: Db, tenantId: string) {
  return db
    .selectFrom('asset_changes as ch')
    .leftJoin('assets as a', (j) => j.onRef('a.tenant_id', '=', 'ch.tenant_id').onRef('a.id', '=', 'ch.asset_id'))
    .select([
      sql<string>`ch.id::text`.as('id'),
      'ch.tenant_id',
      'ch.run_id',
      'ch.asset_id',
      'ch.kind',
      'ch.detail',
      'ch.occurred_at',
      'a.name as asset_name',
    ])
    .where('ch.tenant_id', '=', tenantId);
}

/** One page of a run's changes in write order, after the change `afterId`. */
export async function findRunChanges(db: Db, tenantId: string, runId: string, page: { afterId?: string | undefined; limit: number }): Promise<AssetChangeListRow[]> {
  let q = selectChanges(db, tenantId).where('ch.run_id', '=', runId);
  if (page.afterId !== undefined) q = q.where('ch.id', '>', sql<string>`${page.afterId}::bigint`);
  return q.orderBy('ch.id').limit(page.limit).execute();
}

/** One page of an asset's changes, newest first, before the change `beforeId`. */
export async function findAssetChanges(db: Db, tenantId: string, assetId: string, page: { beforeId?: string | undefined; limit: number }): Promise<AssetChangeListRow[]> {
  let q = selectChanges(db, tenantId).where('ch.asset_id', '=', assetId);
  if (page.beforeId !== undefined) q = q.where('ch.id', '<', sql<string>`${page.beforeId}::bigint`);
  return q.orderBy('ch.id', 'desc').limit(page.limit).execute();
}

/**
 * Deletes at most `batchSize` change records older than `cutoff` in one short statement, each tenant's oldest
 * first, exactly as purgeLogBatch does for the provisioning log; returns how many went per tenant.
 */
export async function purgeAssetChangesBatch(db: Db, cutoff: Date, batchSize: number): Promise<Array<{ tenantId: string; deleted: number }>> {
  const result = await sql<{ tenant_id: string; deleted: string | number }>`
    with gone as (
      delete from asset_changes
      where ctid = any(array(
        select old.ctid from tenants as t cross join lateral (
          select ctid, occurred_at from asset_changes
          where tenant_id = t.id and occurred_at < ${cutoff} order by occurred_at limit ${batchSize}
        ) as old
        order by old.occurred_at limit ${batchSize}
      ))
      returning tenant_id
    )
    select tenant_id, count(*)::int as deleted from gone group by tenant_id${fanOut('retention-purge')}`.execute(db);
  return result.rows.map((r) => ({ tenantId: r.tenant_id, deleted: Number(r.deleted) }));
}
