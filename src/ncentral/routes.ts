import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actingTenant } from '../admin/admin-auth.js';
import type { Kysely } from 'kysely';
import { recordEdgeRefusals, type AuditedRoute } from '../audit/edge-refusal-service.js';
import { actorFromRequest } from '../audit/request-actor.js';
import type { DB } from '../store/tables.js';
import { connectionTarget, NCENTRAL_ACTIONS, unitTarget } from './audit-trail.js';
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

/** The audit action of a write route; a refusal at the edge (viewer, bad input) is recorded under it. */
const audited = (action: string, target: AuditedRoute['target'] = tenantConnection) => ({ audit: { action, target } });
function tenantConnection(request: FastifyRequest) {
  const p = request.principal;
  const tenant = p?.kind === 'admin' ? (p.tenantId ?? (request.query as { tenant?: unknown }).tenant) : undefined;
  return typeof tenant === 'string' ? connectionTarget(tenant.toLowerCase()) : undefined;
}
const unitOf = (request: FastifyRequest) => {
  const id = (request.params as { id?: unknown }).id;
  return typeof id === 'string' ? unitTarget(id) : undefined;
};

/** `/admin/v1/ncentral/…`: connection, verify, client matching, preview/finish, sync now and run history. */
export function ncentralRoutes(service: NcentralService, db: Kysely<DB>) {
  return async (app: FastifyInstance): Promise<void> => {
    recordEdgeRefusals(app, db);
    const wrap = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        throw failure(err);
      }
    };

    app.get('/ncentral/connection', { schema: { querystring: TenantQuery } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.connection(actingTenant(request, q.tenant, false)));
    });

    app.put('/ncentral/connection', { schema: { querystring: TenantQuery, body: ConnectBody }, config: audited(NCENTRAL_ACTIONS.connectionUpdate) }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      const body = request.body as Static<typeof ConnectBody>;
      return wrap(() => service.connect(actingTenant(request, q.tenant, true), body, actorFromRequest(request)));
    });

    app.patch('/ncentral/connection', { schema: { querystring: TenantQuery, body: OptionsBody }, config: audited(NCENTRAL_ACTIONS.connectionUpdate) }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.setOptions(actingTenant(request, q.tenant, true), request.body as Static<typeof OptionsBody>, actorFromRequest(request)));
    });

    app.post('/ncentral/verify', { schema: { querystring: TenantQuery }, config: audited(NCENTRAL_ACTIONS.verify) }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.verify(actingTenant(request, q.tenant, true), actorFromRequest(request)));
    });

    app.get('/ncentral/customers', { schema: { querystring: ListQuery } }, async (request) => {
      const q = request.query as Static<typeof ListQuery>;
      const tenant = actingTenant(request, q.tenant, q.refresh === true);
      return wrap(async () => ({ items: await service.units(tenant, { refresh: q.refresh === true }) }));
    });

    app.post('/ncentral/auto-match', { schema: { querystring: TenantQuery }, config: audited(NCENTRAL_ACTIONS.autoMatch) }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.autoMatch(actingTenant(request, q.tenant, true), actorFromRequest(request)));
    });

    app.post('/ncentral/customers/:id/match', { schema: { querystring: TenantQuery, params: OrgUnitParams, body: MatchBody }, config: audited(NCENTRAL_ACTIONS.match, unitOf) }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      const { id } = request.params as Static<typeof OrgUnitParams>;
      const { portalClientId } = request.body as Static<typeof MatchBody>;
      return wrap(() => service.match(actingTenant(request, q.tenant, true), id, portalClientId.toLowerCase(), actorFromRequest(request)));
    });

    for (const action of ['create', 'exclude', 'unexclude'] as const) {
      app.post(`/ncentral/customers/:id/${action}`, { schema: { querystring: TenantQuery, params: OrgUnitParams }, config: audited(NCENTRAL_ACTIONS[action], unitOf) }, async (request) => {
        const q = request.query as Static<typeof TenantQuery>;
        const { id } = request.params as Static<typeof OrgUnitParams>;
        return wrap(() => service[action](actingTenant(request, q.tenant, true), id, actorFromRequest(request)));
      });
    }

    app.post('/ncentral/create-unmatched', { schema: { querystring: TenantQuery }, config: audited(NCENTRAL_ACTIONS.createUnmatched) }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.createUnmatched(actingTenant(request, q.tenant, true), actorFromRequest(request)));
    });

    app.get('/ncentral/preview', { schema: { querystring: TenantQuery } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return wrap(() => service.preview(actingTenant(request, q.tenant, false)));
    });

    app.post('/ncentral/finish', { schema: { querystring: WaitQuery }, config: audited(NCENTRAL_ACTIONS.finish) }, async (request, reply) => {
      const q = request.query as Static<typeof WaitQuery>;
      const run = await wrap(() => service.finish(actingTenant(request, q.tenant, true), actorFromRequest(request), { wait: q.wait === true }));
      return reply.code(q.wait ? 200 : 202).send(runView(run));
    });

    app.post('/ncentral/sync', { schema: { querystring: WaitQuery }, config: audited(NCENTRAL_ACTIONS.sync) }, async (request, reply) => {
      const q = request.query as Static<typeof WaitQuery>;
      const run = await wrap(() => service.sync(actingTenant(request, q.tenant, true), 'manual', { actor: actorFromRequest(request), wait: q.wait === true }));
      return reply.code(q.wait ? 200 : 202).send(runView(run));
    });

    app.get('/ncentral/runs', { schema: { querystring: RunsQuery } }, async (request) => {
      const q = request.query as Static<typeof RunsQuery>;
      return wrap(async () => ({ items: (await service.runs(actingTenant(request, q.tenant, false), q.limit ?? 20)).map(runView) }));
    });

    app.get('/ncentral/runs/:id', { schema: { querystring: TenantQuery, params: RunParams } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      const { id } = request.params as Static<typeof RunParams>;
      return wrap(async () => runView(await service.run(actingTenant(request, q.tenant, false), id.toLowerCase())));
    });
  };
}
