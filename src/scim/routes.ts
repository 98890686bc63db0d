import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpFailure } from '../http/errors.js';
import type { Authenticator, ScimPrincipal } from '../http/principal.js';
import { cursorQueryKey } from './cursor.js';
import { cursorListResponse, groupResourceType, listResponse, listResponseText, schemaDocuments, serviceProviderConfig, userResourceType } from './discovery.js';
import { ScimError, SCIM_CONTENT_TYPE, invalidSyntax, invalidValue } from './errors.js';
import { resolveGroupPath } from './group-schema.js';
import type { ScimGroupService } from './group-service.js';
import { parseListParams, type ListParams, type ListQuery } from './list.js';
import { parseProjection, project, type Projection } from './representation.js';
import type { ScimCall, ScimUserService, UserResult } from './service.js';

export interface ScimRoutesOptions {
  service: ScimUserService;
  groups: ScimGroupService;
  authenticator: Authenticator<ScimPrincipal> | undefined;
  publicBaseUrl: string | undefined;
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
type Method = (typeof ALL_METHODS)[number];

const unauthorized = (detail: string) =>
  new HttpFailure({ status: 401, reason: 'unauthorized', detail, headers: { 'www-authenticate': 'Bearer' } });

/** Where the resource part of a SCIM URL starts: each attempt is a fixed word after a slash (linear). */
export const RESOURCE_SEGMENT = /\/(Users|Groups|ServiceProviderConfig|ResourceTypes|Schemas)(\/|$)/i;

const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const header = (request: FastifyRequest, name: string): string | undefined => single(request.headers[name]);

/**
 * The SCIM 2.0 Users and Groups API (RFC 7644) with discovery. Registered under /scim/v2 and under
 * /scim/v2/tenants/:tenantId (the Tenant URL form Entra admins paste); the tenant comes from the credential
 * alone, and a path naming another tenant is refused.
 */
export async function scimRoutes(app: FastifyInstance, options: ScimRoutesOptions): Promise<void> {
  const { service } = options;

  // RFC 7644 §3.1: bodies are application/scim+json (or application/json); any other type is 415. An empty
  // body is no body, so a DELETE that still carries a Content-Type is not refused as malformed JSON.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/scim+json', 'application/json'], { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    return json(request, text, done);
  });

  app.addHook('onRequest', async (request) => {
    if (!options.authenticator) throw unauthorized('SCIM authentication is not configured on this server.');
    const principal = await options.authenticator(request);
    const pathTenant = (request.params as { tenantId?: string } | undefined)?.tenantId;
    if (pathTenant !== undefined && pathTenant.toLowerCase() !== principal.tenantId.toLowerCase()) {
      throw unauthorized('The credential does not belong to the tenant in the URL.');
    }
    request.principal = principal;
  });

  const baseUrl = (request: FastifyRequest): string => {
    const origin = options.publicBaseUrl ?? `${request.protocol}://${request.host}`;
    const path = request.url.split('?')[0] ?? '';
    const marker = path.search(RESOURCE_SEGMENT);
    return `${origin}${marker >= 0 ? path.slice(0, marker) : path}`;
  };

  const callOf = (request: FastifyRequest): ScimCall => {
    const principal = request.principal;
    if (principal?.kind !== 'scim') throw unauthorized('A SCIM credential is required.');
    const base = baseUrl(request);
    return { tenantId: principal.tenantId, clientId: principal.clientId, requestId: request.id, usersUrl: `${base}/Users`, groupsUrl: `${base}/Groups` };
  };

  const send = (reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}) =>
    reply.code(status).headers(headers).type(SCIM_CONTENT_TYPE).send(body);

  const sendResource = (reply: FastifyReply, r: UserResult, created = false, projection?: Projection) => {
    const headers: Record<string, string> = r.etag ? { etag: r.etag } : {};
    if (created && r.body) {
      const location = (r.body['meta'] as { location?: string } | undefined)?.location;
      if (location) headers['location'] = location;
    }
    if (r.body === undefined) return reply.code(r.status).headers(headers).send();
    return send(reply, r.status, projection ? project(r.body, projection) : r.body, headers);
  };

  /**
   * `attributes`/`excludedAttributes` apply to the answers of POST, PUT and PATCH too (RFC 7644 §3.9); read
   * before the write, so a bad list is refused without changing anything.
   */
  const writeProjection = (request: FastifyRequest): Projection => {
    const query = request.query as { attributes?: unknown; excludedAttributes?: unknown };
    return parseProjection({ attributes: single(query.attributes), excludedAttributes: single(query.excludedAttributes) });
  };
  const groupProjection = (request: FastifyRequest): Projection => {
    const query = request.query as { attributes?: unknown; excludedAttributes?: unknown };
    return parseProjection({ attributes: single(query.attributes), excludedAttributes: single(query.excludedAttributes) }, resolveGroupPath);
  };
  /** A group PATCH answers 204 unless the client asked for attributes (RFC 7644 §3.5.2). */
  const asksForAttributes = (request: FastifyRequest): boolean => {
    const query = request.query as { attributes?: unknown; excludedAttributes?: unknown };
    return single(query.attributes) !== undefined || single(query.excludedAttributes) !== undefined;
  };

  const routes: Record<string, Partial<Record<Method, (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>>>> = {
    '/Users': {
      POST: async (request, reply) => {
        const projection = writeProjection(request);
        return sendResource(reply, await service.create(callOf(request), request.body), true, projection);
      },
      GET: async (request, reply) => {
        const query = request.query as ListQuery & { attributes?: unknown; excludedAttributes?: unknown };
        return sendList(request, reply, query, { attributes: single(query.attributes), excludedAttributes: single(query.excludedAttributes) });
      },
    },
    // RFC 7644 §3.4.3: the same query in a body, so filters stay out of URLs and logs.
    '/Users/.search': {
      POST: async (request, reply) => {
        const { query, projection } = searchRequest(request.body);
        return sendList(request, reply, query, projection);
      },
    },
    '/Users/:id': {
      GET: async (request, reply) => {
        const query = request.query as { attributes?: unknown; excludedAttributes?: unknown };
        const projection = parseProjection({ attributes: single(query.attributes), excludedAttributes: single(query.excludedAttributes) });
        return sendResource(reply, await service.get(callOf(request), idOf(request), projection, header(request, 'if-none-match')));
      },
      PUT: async (request, reply) => {
        const projection = writeProjection(request);
        return sendResource(reply, await service.replace(callOf(request), idOf(request), request.body, header(request, 'if-match')), false, projection);
      },
      PATCH: async (request, reply) => {
        const projection = writeProjection(request);
        return sendResource(reply, await service.patch(callOf(request), idOf(request), request.body, header(request, 'if-match')), false, projection);
      },
      DELETE: async (request, reply) => sendResource(reply, await service.delete(callOf(request), idOf(request), header(request, 'if-match'))),
    },
    '/Groups': {
      POST: async (request, reply) => sendResource(reply, await options.groups.create(callOf(request), request.body, groupProjection(request)), true),
      GET: async (request, reply) => {
        const query = request.query as ListQuery & { attributes?: unknown; excludedAttributes?: unknown };
        return sendGroupList(request, reply, query, { attributes: single(query.attributes), excludedAttributes: single(query.excludedAttributes) });
      },
    },
    '/Groups/.search': {
      POST: async (request, reply) => {
        const { query, projection } = searchRequest(request.body);
        return sendGroupList(request, reply, query, projection);
      },
    },
    '/Groups/:id': {
      GET: async (request, reply) =>
        sendResource(reply, await options.groups.get(callOf(request), idOf(request), groupProjection(request), header(request, 'if-none-match'))),
      PUT: async (request, reply) =>
        sendResource(reply, await options.groups.replace(callOf(request), idOf(request), request.body, header(request, 'if-match'), groupProjection(request))),
      PATCH: async (request, reply) => {
        const projection = asksForAttributes(request) ? groupProjection(request) : undefined;
        return sendResource(reply, await options.groups.patch(callOf(request), idOf(request), request.body, header(request, 'if-match'), projection));
      },
      DELETE: async (request, reply) => sendResource(reply, await options.groups.delete(callOf(request), idOf(request), header(request, 'if-match'))),
    },
    '/ServiceProviderConfig': { GET: async (request, reply) => send(reply, 200, serviceProviderConfig(baseUrl(request))) },
    '/ResourceTypes': {
      GET: async (request, reply) => send(reply, 200, listResponse([userResourceType(baseUrl(request)), groupResourceType(baseUrl(request))])),
    },
    '/ResourceTypes/:name': {
      GET: async (request, reply) => {
        const name = (request.params as { name: string }).name;
        if (name === 'User') return send(reply, 200, userResourceType(baseUrl(request)));
        if (name === 'Group') return send(reply, 200, groupResourceType(baseUrl(request)));
        throw new ScimError(404, `Resource type "${name}" is not served here; only User and Group are.`);
      },
    },
    '/Schemas': { GET: async (request, reply) => send(reply, 200, listResponse(schemaDocuments(baseUrl(request)))) },
    '/Schemas/:urn': {
      GET: async (request, reply) => {
        const urn = (request.params as { urn: string }).urn;
        const schema = schemaDocuments(baseUrl(request)).find((s) => s['id'] === urn);
        if (!schema) throw new ScimError(404, `Schema "${urn}" is not served here.`);
        return send(reply, 200, schema);
      },
    },
  };

  type ProjectionQuery = { attributes: string | undefined; excludedAttributes: string | undefined };
  async function sendList(request: FastifyRequest, reply: FastifyReply, query: ListQuery, projectionQuery: ProjectionQuery) {
    const params = parseListParams(query);
    const projection = parseProjection(projectionQuery);
    if (params.cursor !== undefined) {
      // Everything but the cursor names the query a cursor belongs to (RFC 9865 §2: the client repeats it unchanged).
      const key = cursorQueryKey('User', [params.filter, params.sortBy, params.descending, projectionQuery.attributes, projectionQuery.excludedAttributes]);
      const page = await service.list(callOf(request), params, projection, key);
      return send(reply, 200, listResponseText(cursorListResponse(page.resources, page.nextCursor, page.previousCursor), page.resources));
    }
    const { total, resources } = await service.list(callOf(request), params, projection);
    return send(reply, 200, listResponseText(listResponse(resources, total, params.startIndex), resources));
  }

  async function sendGroupList(request: FastifyRequest, reply: FastifyReply, query: ListQuery, projectionQuery: ProjectionQuery) {
    const params: ListParams = parseListParams(query, resolveGroupPath);
    if (params.cursor !== undefined) throw invalidValue('Cursor paging (RFC 9865) is served on /Users; page groups with startIndex.');
    const projection = parseProjection(projectionQuery, resolveGroupPath);
    const { total, resources } = await options.groups.list(callOf(request), params, projection);
    return send(reply, 200, listResponse(resources, total, params.startIndex));
  }

  /** A SearchRequest body (RFC 7644 §3.4.3) as the query a GET would carry. */
  function searchRequest(body: unknown): { query: ListQuery; projection: ProjectionQuery } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidSyntax('The body must be a SearchRequest object.');
    const b = body as Record<string, unknown>;
    const joined = (v: unknown): string | undefined => (Array.isArray(v) ? v.join(',') : single(v));
    return {
      query: { filter: b['filter'], startIndex: b['startIndex'], count: b['count'], sortBy: b['sortBy'], sortOrder: b['sortOrder'], cursor: b['cursor'] },
      projection: { attributes: joined(b['attributes']), excludedAttributes: joined(b['excludedAttributes']) },
    };
  }

  for (const [url, handlers] of Object.entries(routes)) {
    for (const method of ALL_METHODS) {
      const handler = handlers[method];
      app.route({
        method,
        url,
        handler:
          handler ??
          (async () => {
            const allowed = Object.keys(handlers).join(', ');
            throw new ScimError(405, `${method} is not supported on ${url}; use ${allowed}.`, null, { allow: allowed });
          }),
      });
    }
  }
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}
