import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actingTenant, adminPrincipal } from '../admin/admin-auth.js';
import type { Kysely } from 'kysely';
import { recordEdgeRefusals } from '../audit/edge-refusal-service.js';
import { actorFromRequest } from '../audit/request-actor.js';
import type { DB } from '../store/tables.js';
import { PORTAL_ROLES } from './effective-role.js';
import { ROLE_RULE_ACTIONS, type RoleActor, type RoleRuleService } from './rule-service.js';

const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });
const Role = Type.Union(PORTAL_ROLES.map((r) => Type.Literal(r)));
const TenantQuery = Type.Object({ tenant: Type.Optional(Uuid) });
const RuleParams = Type.Object({ id: Uuid });
// A group's displayName or externalId as Entra sends it; PostgreSQL text cannot hold NUL, so it is refused here (400).
const CreateBody = Type.Object(
  {
    matchBy: Type.Union([Type.Literal('displayName'), Type.Literal('externalId')]),
    value: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000]*\\S[^\\u0000]*$' }),
    role: Role,
  },
  { additionalProperties: false },
);
const DefaultBody = Type.Object({ role: Role }, { additionalProperties: false });

const actorOf = (request: FastifyRequest): RoleActor => ({ subject: adminPrincipal(request).subject, requestId: request.id, audit: actorFromRequest(request) });

/** `/admin/v1/role-rules`: group → portal role rules and the tenant's default role (issue 17). */
export function roleRuleRoutes(service: RoleRuleService, db: Kysely<DB>) {
  const ruleOf = (request: FastifyRequest) => {
    const id = (request.params as { id?: unknown }).id;
    return typeof id === 'string' ? { type: 'role_rule', id: id.toLowerCase() } : undefined;
  };
  return async (app: FastifyInstance): Promise<void> => {
    recordEdgeRefusals(app, db);
    app.get('/role-rules', { schema: { querystring: TenantQuery } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      return service.list(actingTenant(request, q.tenant, false));
    });

    app.post('/role-rules', { schema: { querystring: TenantQuery, body: CreateBody }, config: { audit: { action: ROLE_RULE_ACTIONS.create } } }, async (request, reply) => {
      const q = request.query as Static<typeof TenantQuery>;
      const tenant = actingTenant(request, q.tenant, true);
      const rule = await service.create(tenant, request.body as Static<typeof CreateBody>, actorOf(request));
      return reply.code(201).send(rule);
    });

    app.put('/role-rules/default', { schema: { querystring: TenantQuery, body: DefaultBody }, config: { audit: { action: ROLE_RULE_ACTIONS.setDefault } } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      const tenant = actingTenant(request, q.tenant, true);
      return service.setDefault(tenant, (request.body as Static<typeof DefaultBody>).role, actorOf(request));
    });

    app.get('/role-rules/:id', { schema: { querystring: TenantQuery, params: RuleParams } }, async (request) => {
      const q = request.query as Static<typeof TenantQuery>;
      const { id } = request.params as Static<typeof RuleParams>;
      return service.get(actingTenant(request, q.tenant, false), id.toLowerCase());
    });

    app.delete('/role-rules/:id', { schema: { querystring: TenantQuery, params: RuleParams }, config: { audit: { action: ROLE_RULE_ACTIONS.delete, target: ruleOf } } }, async (request, reply) => {
      const q = request.query as Static<typeof TenantQuery>;
      const { id } = request.params as Static<typeof RuleParams>;
      await service.delete(actingTenant(request, q.tenant, true), id.toLowerCase(), actorOf(request));
      return reply.code(204).send();
    });
  };
}
