import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { adminPrincipal } from '../admin/admin-auth.js';
import { HttpFailure } from '../http/errors.js';
import { NcentralServiceError, runView, type NcentralService } from './service.js';

const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
const TenantQuery = Type.Object({ tenant: Type.Optional(Uuid) });
const OrgUnitParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,20}$' }) });
const RunParams = Type.Object({ id: Uuid });
const Options = {
  deviceSync: Type.Optional(Type.Boolean()),
  assetsUnderParent: Type.Optional(Type.Boolean()),
  ignoreSyncRequirements: Type.Optional(Type.Boolean()),
  syncTime: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' })),
};
const ConnectBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    token: Type.String({ minLength: 1, maxLength: 16384 }),
    caPem: Type.Optional(Type.Union([Type.String({ maxLength: 1_000_000 }), Type.Null()])),
    ...Options,
  },
  { additionalProperties: false },
);
const OptionsBody = Type.Object(Options, { additionalProperties: false });
const MatchBody = Type.Object({ portalClientId: Uuid }, { additionalProperties: false });
const WaitQuery = Type.Object({ tenant: Type.Optional(Uuid), wait: Type.Optional(Type.Boolean()) });
const ListQuery = Type.Object({ tenant: Type.Optional(Uuid), refresh: Type.Optional(Type.Boolean()) });
const RunsQuery = Type.Object({ tenant: Type.Optional(Uuid), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) });

const STATUS: Record<NcentralServiceError['code'], number> = {
  invalid: 400,
  notConnected: 404,
  notFound: 404,
  alreadyRunning: 409,
  notVerified: 409,
  noEncryptionKey: 503,
};

function failure(err: unknown): unknown {
  if (!(err instanceof NcentralServiceError)) return err;
  const status = STATUS[err.code];
  return new HttpFailure({ status, reason: status === 404 ? 'notFound' : status === 503 ? 'unavailable' : 'invalidInput', detail: err.message });
}

/** The tenant an admin acts on: a tenant-scoped token's own; a service-wide admin names one with ?tenant=. */
function tenantOf(request: FastifyRequest, requested: string | undefined, write: boolean): string {
  const principal = adminPrincipal(request);
  if (write && principal.role !== 'admin') {
    throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'This admin token may only read.' });
  }
  if (principal.tenantId !== null) {
    if (requested !== undefined && requested.toLowerCase() !== principal.tenantId) {
      throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'This admin token may act only on its own tenant.' });
    }
    return principal.tenantId;
  }
  if (requested === undefined) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'A service-wide admin token must name the tenant: ?tenant=<id>.' });
  return requested.toLowerCase();
}

/** `/admin/v1/ncentral/…`: connection, verify, client matching, preview/finish, sync now and run history. */
export function ncentralRoutes(service: NcentralService) {
  return async (app: FastifyInstance): Promise<void> => {
    const wrap = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        throw failure(err);
      }
    };

    app.get('/ncentral/connection', { schema: { querystring: TenantQuery } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.connection(tenantOf(request, q.tenant, false)));
    });

    app.put('/ncentral/connection', { schema: { querystring: TenantQuery, body: ConnectBody } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      const body = request.body as Static<typeof ConnectBody>;
      return wrap(() => service.connect(tenantOf(request, q.tenant, true), body));
    });

    app.patch('/ncentral/connection', { schema: { querystring: TenantQuery, body: OptionsBody } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.setOptions(tenantOf(request, q.tenant, true), request.body as Static<typeof OptionsBody>));
    });

    app.post('/ncentral/verify', { schema: { querystring: TenantQuery } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.verify(tenantOf(request, q.tenant, true)));
    });

    app.get('/ncentral/customers', { schema: { querystring: ListQuery } }, async (request) => {
      const q = request.query as Static<typeof ListQuery>;
      const tenant = tenantOf(request, q.tenant, q.refresh === true);
      return wrap(async () => ({ items: await service.units(tenant, { refresh: q.refresh === true }) }));
    });

    app.post('/ncentral/auto-match', { schema: { querystring: TenantQuery } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.autoMatch(tenantOf(request, q.tenant, true)));
    });

    app.post('/ncentral/customers/:id/match', { schema: { querystring: TenantQuery, params: OrgUnitParams, body: MatchBody } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      const { id } = request.params as Static<typeof OrgUnitParams>;
      const { portalClientId } = request.body as Static<typeof MatchBody>;
      return wrap(() => service.match(tenantOf(request, q.tenant, true), id, portalClientId.toLowerCase()));
    });

    for (const action of ['create', 'exclude', 'unexclude'] as const) {
      app.post(`/ncentral/customers/:id/${action}`, { schema: { querystring: TenantQuery, params: OrgUnitParams } }, async (request) => {
        const q = request.query as Static<typeof TenantQuery>;
        const { id } = request.params as Static<typeof OrgUnitParams>;
        return wrap(() => service[action](tenantOf(request, q.tenant, true), id));
      });
    }

    app.post('/ncentral/create-unmatched', { schema: { querystring: TenantQuery } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.createUnmatched(tenantOf(request, q.tenant, true)));
    });

    app.get('/ncentral/preview', { schema: { querystring: TenantQuery } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.preview(tenantOf(request, q.tenant, false)));
    });

    app.post('/ncentral/finish', { schema: { querystring: WaitQuery } }, async (request, reply) => {
      const q = request.query as Static<typeof WaitQuery>;
      const run = await wrap(() => service.finish(tenantOf(request, q.tenant, true), { wait: q.wait === true }));
      return reply.code(q.wait ? 200 : 202).send(runView(run));
    });

    app.post('/ncentral/sync', { schema: { querystring: WaitQuery } }, async (request, reply) => {
      const q = request.query as Static<typeof WaitQuery>;
      const run = await wrap(() => service.sync(tenantOf(request, q.tenant, true), 'manual', { wait: q.wait === true }));
      return reply.code(q.wait ? 200 : 202).send(runView(run));
    });

    app.get('/ncentral/runs', { schema: { querystring: RunsQuery } }, async (request) => {
      const q = request.query as Static<typeof RunsQuery>;
      return wrap(async () => ({ items: (await service.runs(tenantOf(request, q.tenant, false), q.limit ?? 20)).map(runView) }));
    });

    app.get('/ncentral/runs/:id', { schema: { querystring: TenantQuery, params: RunParams } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      const { id } = request.params as Static<typeof RunParams>;
      return wrap(async () => runView(await service.run(tenantOf(request, q.tenant, false), id.toLowerCase())));
    });
  };
}
