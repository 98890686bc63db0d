import type { AssetService } from '../portal/asset-service.js';
import { runChangesSection } from './asset-pages.js';
import type { SafeHtml } from './html.js';
import { textParam } from './inventory-filters.js';
import { pageOrRefusal } from './inventory-routes.js';

const PAGE_SIZE = 50;

/** The run page's "what this run changed" section at the page link's cursor; a tampered link is a 400 page. */
export async function runChanges(assets: AssetService, tenantId: string, runId: string, cursorText: string | undefined): Promise<SafeHtml> {
  const cursor = textParam(cursorText, 1024);
  const page = await pageOrRefusal(assets.listRunChanges(tenantId, runId, { cursor, limit: PAGE_SIZE }));
  return runChangesSection({ runId, changes: page?.changes ?? [], cursor, nextCursor: page?.nextCursor ?? null });
}
