import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpFailure } from '../http/errors.js';
import { ncentralDeviceUrl } from '../ncentral/device-link.js';
import { assetPage } from './asset-pages.js';
import { queryOf, sendPage, tenantOf, type ConsoleContext } from './context.js';
import { assetFiltersFromQuery, textParam } from './inventory-filters.js';
import { assetsListPage, clientsListPage } from './inventory-pages.js';
import { createInventoryReader, InvalidPageLink } from './inventory-service.js';

const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (what: string): HttpFailure => new HttpFailure({ status: 404, reason: 'notFound', detail: `There is no ${what} in this tenant.` });

/** A tampered or stale page link is the person's input: a 400 page saying what to do, never a 500. */
async function pageOrRefusal<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof InvalidPageLink) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'That page link is not valid any more; start again from the first page.' });
    throw err;
  }
}

/**
 * Clients and assets the sync brought in: the same read services (and keyset cursors) as /admin/v1/clients and
 * /admin/v1/assets. Under /console/inventory because /console/assets/ serves the stylesheet and script.
 * Every role may read them; nothing here changes state.
 */
export async function inventoryRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const reader = createInventoryReader(ctx.deps, ctx.ncentral);

  app.get('/inventory/clients', async (request, reply) => {
    const { tenantId } = tenantOf(request);
    const q = queryOf(request);
    const search = textParam(q['search']);
    const cursor = textParam(q['cursor'], 1024);
    const result = await pageOrRefusal(reader.clients(tenantId, { search, cursor, limit: PAGE_SIZE }));
    return sendPage(reply, clientsListPage({ session: request.consoleSession, search, cursor, clients: result.clients, nextCursor: result.nextCursor }));
  });

  app.get('/inventory/assets', async (request, reply) => {
    const { tenantId } = tenantOf(request);
    const filters = assetFiltersFromQuery(queryOf(request));
    // A client id that is not this tenant's (or not an id at all) narrows to nothing and says so.
    const client = filters.client ? (UUID.test(filters.client) ? await reader.client(tenantId, filters.client.toLowerCase()) : null) : null;
    if (filters.client && !client) throw notFound(`client ${filters.client}`);
    const result = await pageOrRefusal(reader.assets(tenantId, filters, PAGE_SIZE));
    return sendPage(reply, assetsListPage({ session: request.consoleSession, filters, client, assets: result.assets, nextCursor: result.nextCursor }));
  });

  app.get('/inventory/assets/export', async (request, reply: FastifyReply) => {
    const { tenantId } = tenantOf(request);
    const q = queryOf(request);
    const filters = { ...assetFiltersFromQuery(q), cursor: undefined };
    const csv = q['format'] !== 'ndjson';
    const stamp = ctx.deps.clock.now().toISOString().replace(/[:.]/g, '-');
    return reply
      .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="assets-${stamp}.${csv ? 'csv' : 'ndjson'}"`)
      .send(Readable.from(reader.exportAssets(tenantId, filters, csv ? 'csv' : 'ndjson'), { objectMode: false, highWaterMark: 64 * 1024 }));
  });

  app.get('/inventory/assets/:id', async (request, reply) => {
    const { tenantId } = tenantOf(request);
    const { id } = request.params as { id: string };
    const found = UUID.test(id) ? await reader.asset(tenantId, id.toLowerCase()) : null;
    if (!found) throw notFound(`asset ${id}`);
    const link = ncentralDeviceUrl(await reader.ncentralBaseUrl(tenantId), { customerId: found.asset.ncentralCustomerId, deviceId: found.asset.ncentralDeviceId });
    return sendPage(reply, assetPage({ session: request.consoleSession, asset: found.asset, history: found.history, ncentralLink: link }));
  });
}
