import { sql, type Kysely, type Transaction } from 'kysely';
import { purgeOldestPerTenant } from './provisioning-log-queries.js';
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

/** Change records' batch of the retention purge: tenant by tenant, as the provisioning log's (purgeOldestPerTenant). */
export function purgeAssetChangesBatch(db: Db, cutoff: Date, batchSize: number): Promise<Array<{ tenantId: string; deleted: number }>> {
  return purgeOldestPerTenant(db, 'asset_changes', cutoff, batchSize);
}
