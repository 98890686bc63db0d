import { sql, type Kysely, type Transaction } from 'kysely';
import type { Asset, DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * What operators narrow the assets by; every field narrows. `search` is already lower-cased; `searchMac` is the
 * search as MAC hex digits (store/assets.ts macSearchKey), or undefined when the search cannot be part of a MAC.
 */
export interface AssetFilter {
  portalClientId?: string | undefined;
  search?: string | undefined;
  searchMac?: string | undefined;
  deviceClass?: string | undefined;
  os?: string | undefined;
  removed: boolean;
  changedSince?: Date | undefined;
}

/** A place in the assets' keyset order (created_at, id); the time in microseconds, as PostgreSQL keeps it. */
export interface AssetPosition {
  createdAtUs: string;
  id: string;
}

/** A stored asset, its client's name, and its creation time in microseconds (the cursor needs it). */
export type AssetListRow = Asset & { created_us: string; client_name: string };

/** `%text%` for LIKE, with LIKE's own wildcards in the text taken literally. */
export const containing = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function selectAssets(db: Db, tenantId: string) {
  return db
    .selectFrom('assets as a')
    .innerJoin('portal_clients as c', (j) => j.onRef('c.tenant_id', '=', 'a.tenant_id').onRef('c.id', '=', 'a.portal_client_id'))
    .selectAll('a')
    .select([
      'c.name as client_name',
      sql<string>`(extract(epoch from a.created_at) * 1000000)::bigint::text`.as('created_us'),
    ])
    .where('a.tenant_id', '=', tenantId);
}

function filteredAssets(db: Db, tenantId: string, f: AssetFilter) {
  let q = selectAssets(db, tenantId).where('a.removed_at', f.removed ? 'is not' : 'is', null);
  if (f.portalClientId !== undefined) q = q.where('a.portal_client_id', '=', f.portalClientId);
  if (f.deviceClass !== undefined) q = q.where(sql<boolean>`lower(a.device_class) = ${f.deviceClass.toLowerCase()}`);
  if (f.os !== undefined) q = q.where(sql<boolean>`lower(a.os_name) like ${containing(f.os.toLowerCase())}`);
  if (f.changedSince !== undefined) q = q.where('a.updated_at', '>=', f.changedSince);
  const search = f.search;
  if (search !== undefined) {
    const mac = f.searchMac;
    q = q.where(
      sql<boolean>`(lower(a.name) like ${containing(search)} or lower(a.serial_number) like ${containing(search)}${
        mac === undefined ? sql`` : sql` or a.mac_search like ${containing(mac)}`
      })`,
    );
  }
  return q;
}

const positionTime = (p: AssetPosition) => sql`(timestamptz 'epoch' + ${p.createdAtUs}::bigint * interval '1 microsecond')`;

/**
 * One page in (created_at, id) order, strictly after `after`: a keyset over assets_created_key. Neither key
 * changes once an asset is written, so a sync running meanwhile cannot make a walk skip or repeat an asset.
 */
export async function findAssetsPage(
  db: Db,
  tenantId: string,
  filter: AssetFilter,
  page: { after?: AssetPosition | undefined; limit: number },
): Promise<AssetListRow[]> {
  let query = filteredAssets(db, tenantId, filter);
  const after = page.after;
  if (after) query = query.where(sql<boolean>`(a.created_at, a.id) > (${positionTime(after)}, ${after.id}::uuid)`);
  return query.orderBy('a.created_at').orderBy('a.id').limit(page.limit).execute();
}

export async function findAssetById(db: Db, tenantId: string, id: string): Promise<AssetListRow | undefined> {
  return selectAssets(db, tenantId).where('a.id', '=', id).executeTakeFirst();
}

/** Active and removed assets of each of the given clients (one grouped scan of assets_client_name_idx). */
export async function countAssetsByClient(db: Db, tenantId: string, clientIds: string[]): Promise<Map<string, { active: number; removed: number }>> {
  const counts = new Map<string, { active: number; removed: number }>();
  if (clientIds.length === 0) return counts;
  const rows = await db
    .selectFrom('assets')
    .select([
      'portal_client_id',
      sql<number>`count(*) filter (where removed_at is null)::int`.as('active'),
      sql<number>`count(*) filter (where removed_at is not null)::int`.as('removed'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('portal_client_id', 'in', clientIds)
    .groupBy('portal_client_id')
    .execute();
  for (const r of rows) counts.set(r.portal_client_id, { active: Number(r.active), removed: Number(r.removed) });
  return counts;
}
