import type { Deps } from '../deps.js';
import { findAssetChanges, findRunChanges } from '../store/asset-changes.js';
import { findAssetById, findAssetsPage, type AssetPosition } from '../store/asset-listing.js';
import { macDigits } from '../store/assets.js';
import { findRun } from '../store/ncentral.js';
import { decodeCursor, encodeCursor, isBigint, isUuid } from './cursor.js';
import { assetChangeView, assetView, type AssetChangeView, type AssetDetailView, type AssetView } from './views.js';

export interface AssetFilters {
  client?: string | undefined;
  /** Name or serial number (anywhere, any case) or MAC address (any case and separators). */
  search?: string | undefined;
  deviceClass?: string | undefined;
  /** Matches anywhere in the OS name, any case. */
  os?: string | undefined;
  /** Assets gone from their source instead of present ones; default false. */
  removed?: boolean | undefined;
  changedSince?: Date | undefined;
}

export interface AssetQuery extends AssetFilters {
  cursor?: string | undefined;
  limit: number;
}

export interface AssetPage {
  assets: AssetView[];
  nextCursor: string | null;
}

export interface ChangePage {
  changes: AssetChangeView[];
  nextCursor: string | null;
}

export interface AssetService {
  /** One page in a stable order (creation, then id); the cursor throws InvalidCursorError when not ours. */
  listAssets(tenantId: string, query: AssetQuery): Promise<AssetPage>;
  /** Every matching asset, read in keyset batches: memory stays one batch however many there are. */
  exportAssets(tenantId: string, filters: AssetFilters, batchSize?: number): AsyncGenerator<AssetView>;
  /** One asset with its newest changes; another tenant's id is simply not found. */
  getAsset(tenantId: string, id: string, changesLimit?: number): Promise<AssetDetailView | undefined>;
  /** An asset's older changes, newest first, paging on from `changesNextCursor`. */
  listAssetChanges(tenantId: string, assetId: string, query: { cursor?: string | undefined; limit: number }): Promise<ChangePage>;
  /** A sync run's changes in the order it made them; undefined when the tenant has no such run. */
  listRunChanges(tenantId: string, runId: string, query: { cursor?: string | undefined; limit: number }): Promise<ChangePage | undefined>;
}

/** A MAC search needs at least two hex digits and nothing but hex digits and separators. */
const MAC_LIKE = /^[0-9a-f:.\- ]+$/i;

function storeFilter(f: AssetFilters) {
  const search = f.search?.toLowerCase();
  const digits = search !== undefined && MAC_LIKE.test(search) ? macDigits(search) : '';
  return {
    portalClientId: f.client?.toLowerCase(),
    search,
    searchMac: digits.length >= 2 ? digits : undefined,
    deviceClass: f.deviceClass,
    os: f.os,
    removed: f.removed ?? false,
    changedSince: f.changedSince,
  };
}

const positionOf = (row: { created_us: string; id: string }): AssetPosition => ({ createdAtUs: row.created_us, id: row.id });

/** The portal's assets, and what each sync run changed, as the admin API and the console read them. */
export function createAssetService(deps: Pick<Deps, 'database'>): AssetService {
  const db = deps.database.db;

  async function changesPage(tenantId: string, assetId: string, cursor: string | undefined, limit: number): Promise<ChangePage> {
    const before = cursor === undefined ? undefined : decodeCursor('changes', cursor, [isBigint])[0];
    const rows = await findAssetChanges(db, tenantId, assetId, { beforeId: before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { changes: page.map(assetChangeView), nextCursor: rows.length > limit && last ? encodeCursor('changes', [last.id]) : null };
  }

  return {
    async listAssets(tenantId, query) {
      const after = query.cursor === undefined ? undefined : decodeCursor('assets', query.cursor, [isBigint, isUuid]);
      const rows = await findAssetsPage(db, tenantId, storeFilter(query), {
        after: after && { createdAtUs: after[0] ?? '', id: after[1] ?? '' },
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        assets: page.map(assetView),
        nextCursor: rows.length > query.limit && last ? encodeCursor('assets', [last.created_us, last.id]) : null,
      };
    },

    async *exportAssets(tenantId, filters, batchSize = 1000) {
      const filter = storeFilter(filters);
      let after: AssetPosition | undefined;
      for (;;) {
        const rows = await findAssetsPage(db, tenantId, filter, { after, limit: batchSize });
        for (const row of rows) yield assetView(row);
        const last = rows.at(-1);
        if (rows.length < batchSize || !last) return;
        after = positionOf(last);
      }
    },

    async getAsset(tenantId, id, changesLimit = 50) {
      const key = id.toLowerCase();
      if (!isUuid(key)) return undefined;
      const row = await findAssetById(db, tenantId, key);
      if (!row) return undefined;
      const history = await changesPage(tenantId, key, undefined, changesLimit);
      return { ...assetView(row), changes: history.changes, changesNextCursor: history.nextCursor };
    },

    async listAssetChanges(tenantId, assetId, query) {
      const key = assetId.toLowerCase();
      if (!isUuid(key)) return { changes: [], nextCursor: null };
      return changesPage(tenantId, key, query.cursor, query.limit);
    },

    async listRunChanges(tenantId, runId, query) {
      const key = runId.toLowerCase();
      if (!isUuid(key) || !(await findRun(db, tenantId, key))) return undefined;
      const after = query.cursor === undefined ? undefined : decodeCursor('changes', query.cursor, [isBigint])[0];
      const rows = await findRunChanges(db, tenantId, key, { afterId: after, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { changes: page.map(assetChangeView), nextCursor: rows.length > query.limit && last ? encodeCursor('changes', [last.id]) : null };
    },
  };
}
