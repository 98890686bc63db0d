import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { actingTenant } from '../admin/admin-auth.js';
import { HttpFailure } from '../http/errors.js';
import { onlyKnownQuery } from '../http/query.js';
import type { AccountReadService } from './account-service.js';
import { assetCsvHeader, assetCsvLine, assetNdjsonLine } from './asset-export.js';
import type { AssetFilters, AssetService } from './asset-service.js';
import type { ClientService } from './client-service.js';
import { InvalidCursorError } from './cursor.js';
import { sendLineExport } from '../http/line-export.js';

const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
// RFC 3339 with an explicit offset, so "changedSince" never depends on the server's time zone.
const Instant = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2})$' });
// PostgreSQL text cannot hold NUL (it refuses the query with an error), and no stored value contains one: 400.
const Text = Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000]*$' });
const Cursor = Type.String({ minLength: 1, maxLength: 600 });
const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });

const Paging = { tenant: Type.Optional(Uuid), cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) };
const ClientsQuery = Type.Object({
  ...Paging,
  search: Type.Optional(Text),
  source: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
});
const AssetFilterFields = {
  tenant: Type.Optional(Uuid),
  client: Type.Optional(Uuid),
  search: Type.Optional(Text),
  deviceClass: Type.Optional(Text),
  os: Type.Optional(Text),
  removed: Type.Optional(Type.Boolean()),
  changedSince: Type.Optional(Instant),
};
const AssetsQuery = Type.Object({ ...AssetFilterFields, cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) });
const ExportQuery = Type.Object({ ...AssetFilterFields, format: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('csv')])) });
const AccountsQuery = Type.Object({ ...Paging, search: Type.Optional(Text) });
const PagingQuery = Type.Object(Paging);
const TenantQuery = Type.Object({ tenant: Type.Optional(Uuid) });
const IdParams = Type.Object({ id: Uuid });

const invalid = (detail: string) => new HttpFailure({ status: 400, reason: 'invalidInput', detail });
const notFound = (detail: string) => new HttpFailure({ status: 404, reason: 'notFound', detail });

/** A cursor we did not issue is the caller's mistake (400), in the admin API's words. */
function refusal(err: unknown): never {
  if (err instanceof InvalidCursorError) throw invalid('The cursor is not one this server issued.');
  throw err;
}

function filtersOf(q: Static<typeof AssetsQuery> | Static<typeof ExportQuery>): AssetFilters {
  let changedSince: Date | undefined;
  if (q.changedSince !== undefined) {
    changedSince = new Date(q.changedSince);
    if (Number.isNaN(changedSince.getTime())) throw invalid('changedSince is not a valid date-time.');
  }
  return { client: q.client, search: q.search, deviceClass: q.deviceClass, os: q.os, removed: q.removed, changedSince };
}

export interface PortalServices {
  clients: ClientService;
  assets: AssetService;
  accounts: AccountReadService;
}

/**
 * `/admin/v1/clients`, `/assets`, `/accounts` and `/ncentral/runs/{id}/changes`: the portal's own data for
 * operators. Registered inside the admin scope (every route authenticated); each reads one tenant (actingTenant).
 */
export function portalRoutes(services: PortalServices, deps: { clock: { now(): Date } }) {
  const { clients, assets, accounts } = services;
  return async (app: FastifyInstance): Promise<void> => {
    const known = (schema: { properties: Record<string, unknown> }) => onlyKnownQuery(Object.keys(schema.properties));

    app.get<{ Querystring: Static<typeof ClientsQuery> }>('/clients', { schema: { querystring: ClientsQuery }, preValidation: known(ClientsQuery) }, async (request) => {
      const q = request.query;
      const tenantId = actingTenant(request, q.tenant);
      return clients.listClients(tenantId, { search: q.search, source: q.source, cursor: q.cursor, limit: q.limit ?? 50 }).catch(refusal);
    });

    app.get<{ Querystring: Static<typeof TenantQuery>; Params: Static<typeof IdParams> }>(
      '/clients/:id',
      { schema: { querystring: TenantQuery, params: IdParams }, preValidation: known(TenantQuery) },
      async (request) => {
        const client = await clients.getClient(actingTenant(request, request.query.tenant), request.params.id);
        if (!client) throw notFound(`No client ${request.params.id}.`);
        return client;
      },
    );

    app.get<{ Querystring: Static<typeof AssetsQuery> }>('/assets', { schema: { querystring: AssetsQuery }, preValidation: known(AssetsQuery) }, async (request) => {
      const q = request.query;
      const tenantId = actingTenant(request, q.tenant);
      return assets.listAssets(tenantId, { ...filtersOf(q), cursor: q.cursor, limit: q.limit ?? 50 }).catch(refusal);
    });

    app.get<{ Querystring: Static<typeof ExportQuery> }>(
      '/assets/export',
      { schema: { querystring: ExportQuery }, preValidation: known(ExportQuery) },
      async (request, reply: FastifyReply) => {
        const q = request.query;
        const tenantId = actingTenant(request, q.tenant);
        const csv = q.format === 'csv';
        const rows = assets.exportAssets(tenantId, filtersOf(q));
        const format = { csvHeader: assetCsvHeader, csvLine: assetCsvLine, ndjsonLine: assetNdjsonLine };
        return sendLineExport(reply, rows, format, { csv, stem: 'assets', now: deps.clock.now() });
      },
    );

    app.get<{ Querystring: Static<typeof TenantQuery>; Params: Static<typeof IdParams> }>(
      '/assets/:id',
      { schema: { querystring: TenantQuery, params: IdParams }, preValidation: known(TenantQuery) },
      async (request) => {
        const asset = await assets.getAsset(actingTenant(request, request.query.tenant), request.params.id);
        if (!asset) throw notFound(`No asset ${request.params.id}.`);
        return asset;
      },
    );

    app.get<{ Querystring: Static<typeof PagingQuery>; Params: Static<typeof IdParams> }>(
      '/assets/:id/changes',
      { schema: { querystring: PagingQuery, params: IdParams }, preValidation: known(PagingQuery) },
      async (request) => {
        const q = request.query;
        const tenantId = actingTenant(request, q.tenant);
        if (!(await assets.getAsset(tenantId, request.params.id, 0))) throw notFound(`No asset ${request.params.id}.`);
        return assets.listAssetChanges(tenantId, request.params.id, { cursor: q.cursor, limit: q.limit ?? 50 }).catch(refusal);
      },
    );

    app.get<{ Querystring: Static<typeof PagingQuery>; Params: Static<typeof IdParams> }>(
      '/ncentral/runs/:id/changes',
      { schema: { querystring: PagingQuery, params: IdParams }, preValidation: known(PagingQuery) },
      async (request) => {
        const q = request.query;
        const page = await assets.listRunChanges(actingTenant(request, q.tenant), request.params.id, { cursor: q.cursor, limit: q.limit ?? 50 }).catch(refusal);
        if (!page) throw notFound(`No sync run ${request.params.id} for this tenant.`);
        return page;
      },
    );

    app.get<{ Querystring: Static<typeof AccountsQuery> }>('/accounts', { schema: { querystring: AccountsQuery }, preValidation: known(AccountsQuery) }, async (request) => {
      const q = request.query;
      return accounts.listAccounts(actingTenant(request, q.tenant), { search: q.search, cursor: q.cursor, limit: q.limit ?? 50 }).catch(refusal);
    });

    app.get<{ Querystring: Static<typeof TenantQuery>; Params: Static<typeof IdParams> }>(
      '/accounts/:id',
      { schema: { querystring: TenantQuery, params: IdParams }, preValidation: known(TenantQuery) },
      async (request) => {
        const account = await accounts.getAccount(actingTenant(request, request.query.tenant), request.params.id);
        if (!account) throw notFound(`No account ${request.params.id}.`);
        return account;
      },
    );
  };
}
