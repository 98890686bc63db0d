import { HttpFailure } from '../http/errors.js';
import { runChangesSection } from './asset-pages.js';
import type { SafeHtml } from './html.js';
import { textParam } from './inventory-filters.js';
import { InvalidPageLink, type InventoryReader } from './inventory-service.js';

const PAGE_SIZE = 50;

/** The run page's "what this run changed" section at the page link's cursor; a tampered link is a 400 page. */
export async function runChanges(reader: InventoryReader, tenantId: string, runId: string, cursorText: string | undefined): Promise<SafeHtml> {
  const cursor = textParam(cursorText, 1024);
  try {
    const page = await reader.runChanges(tenantId, runId, { cursor, limit: PAGE_SIZE });
    return runChangesSection({ runId, changes: page.changes, cursor, nextCursor: page.nextCursor });
  } catch (err) {
    if (err instanceof InvalidPageLink) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'That page link is not valid any more; start again from the first changes.' });
    throw err;
  }
}
