import type { FastifyInstance } from 'fastify';
import { HttpFailure } from '../http/errors.js';
import { ncentralDeviceUrl } from '../ncentral/device-link.js';
import { NcentralServiceError } from '../ncentral/service.js';
import { createAssetService } from '../portal/asset-service.js';
import { createClientService } from '../portal/client-service.js';
import { InvalidCursorError } from '../portal/cursor.js';
import { assetCsvHeader, assetCsvLine, assetNdjsonLine } from '../portal/asset-export.js';
import { assetPage } from './asset-pages.js';
import { queryOf, sendPage, tenantOf, type ConsoleContext } from './context.js';
import { assetFiltersFromQuery, serviceFilters, textParam } from './inventory-filters.js';
import { assetsListPage, clientsListPage } from './inventory-pages.js';
import { sendLineExport } from '../http/line-export.js';

const PAGE_SIZE = 50;

const notFound = (what: string): HttpFailure => new HttpFailure({ status: 404, reason: 'notFound', detail: `There is no ${what} in this tenant.` });

/** A tampered or stale page link is the person's input: a 400 page saying what to do, never a 500. */
export async function pageOrRefusal<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof InvalidCursorError) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'That page link is not valid any more; start again from the first page.' });
    throw err;
  }
}

/**
 * Clients and assets the sync brought in: the same read services (and keyset cursors) as /admin/v1/clients and
 * /admin/v1/assets. Under /console/inventory because /console/assets/ serves the stylesheet and script.
 * Every role may read them; nothing here changes state.
 */
export async function inventoryRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const clients = createClientService(ctx.deps);
  const assets = createAssetService(ctx.deps);
  const ncentralBaseUrl = async (tenantId: string): Promise<string | null> => {
    if (!ctx.ncentral) return null;
    try {
      return (await ctx.ncentral.connection(tenantId)).url;
    } catch (err) {
      if (err instanceof NcentralServiceError && err.code === 'notConnected') return null;
      throw err;
    }
  };

  app.get('/inventory/clients', async (request, reply) => {
    const { tenantId } = tenantOf(request);
    const q = queryOf(request);
    const search = textParam(q['search']);
    const cursor = textParam(q['cursor'], 1024);
    const page = await pageOrRefusal(clients.listClients(tenantId, { search, cursor, limit: PAGE_SIZE }));
    return sendPage(reply, clientsListPage({ session: request.consoleSession, search, cursor, clients: page.clients, nextCursor: page.nextCursor }));
  });

  app.get('/inventory/assets', async (request, reply) => {
    const { tenantId } = tenantOf(request);
    const filters = assetFiltersFromQuery(queryOf(request));
    // Another tenant's client id (or no id at all) is not found, as on the admin API.
    const client = filters.client ? await clients.getClient(tenantId, filters.client) : undefined;
    if (filters.client && !client) throw notFound(`client ${filters.client}`);
    const page = await pageOrRefusal(assets.listAssets(tenantId, { ...serviceFilters(filters), cursor: filters.cursor, limit: PAGE_SIZE }));
    return sendPage(reply, assetsListPage({ session: request.consoleSession, filters, client: client ?? null, assets: page.assets, nextCursor: page.nextCursor }));
  });

  app.get('/inventory/assets/export', async (request, reply) => {
    const { tenantId } = tenantOf(request);
    const q = queryOf(request);
    const filters = assetFiltersFromQuery(q);
    if (filters.client && !(await clients.getClient(tenantId, filters.client))) throw notFound(`client ${filters.client}`);
    const csv = q['format'] !== 'ndjson';
    // Read in keyset batches by the service: memory stays one batch however many assets match.
    const rows = assets.exportAssets(tenantId, serviceFilters(filters));
    const format = { csvHeader: assetCsvHeader, csvLine: assetCsvLine, ndjsonLine: assetNdjsonLine };
    return sendLineExport(reply, rows, format, { csv, stem: 'assets', now: ctx.deps.clock.now() });
  });

  app.get('/inventory/assets/:id', async (request, reply) => {
    const { tenantId } = tenantOf(request);
    const { id } = request.params as { id: string };
    const found = await assets.getAsset(tenantId, id, PAGE_SIZE);
    if (!found) throw notFound(`asset ${id}`);
    // Older history pages on from the page link's cursor; the asset's fields stay on every page.
    const cursor = textParam(queryOf(request)['cursor'], 1024);
    const older = cursor ? await pageOrRefusal(assets.listAssetChanges(tenantId, found.id, { cursor, limit: PAGE_SIZE })) : undefined;
    const asset = older ? { ...found, changes: older.changes, changesNextCursor: older.nextCursor } : found;
    const link = asset.ncentral ? ncentralDeviceUrl(await ncentralBaseUrl(tenantId), asset.ncentral) : null;
    return sendPage(reply, assetPage({ session: request.consoleSession, asset, ncentralLink: link, olderPage: cursor !== undefined }));
  });
}
