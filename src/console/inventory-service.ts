import type { Deps } from '../deps.js';
import type { NcentralService } from '../ncentral/service.js';
import type { AssetDetail, ChangeRow } from './asset-pages.js';
import type { AssetFilters, AssetRow, ClientRow } from './inventory-pages.js';

/** A page link (cursor) that was tampered with or no longer fits its filters. */
export class InvalidPageLink extends Error {}

export interface InventoryReader {
  clients(tenantId: string, options: { search: string | undefined; cursor: string | undefined; limit: number }): Promise<{ clients: ClientRow[]; nextCursor: string | null }>;
  client(tenantId: string, id: string): Promise<{ id: string; name: string } | null>;
  assets(tenantId: string, filters: AssetFilters, limit: number): Promise<{ assets: AssetRow[]; nextCursor: string | null }>;
  asset(tenantId: string, id: string): Promise<{ asset: AssetDetail; history: ChangeRow[] } | null>;
  exportAssets(tenantId: string, filters: AssetFilters, format: 'csv' | 'ndjson'): AsyncIterable<string>;
  runChanges(tenantId: string, runId: string, options: { cursor: string | undefined; limit: number }): Promise<{ changes: ChangeRow[]; nextCursor: string | null }>;
  /** The tenant's N-central address, for "Open in N-central" links; null without a connection. */
  ncentralBaseUrl(tenantId: string): Promise<string | null>;
}

/** The console's reads of clients, assets and changes: the admin API's read services, shaped for the pages. */
export function createInventoryReader(deps: Deps, ncentral: NcentralService | undefined): InventoryReader {
  void deps;
  void ncentral;
  throw new Error('not wired yet');
}
