import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpFailure } from '../http/errors.js';
import type { Authenticator, ScimPrincipal } from '../http/principal.js';
import { listResponse, schemaDocuments, serviceProviderConfig, userResourceType } from './discovery.js';
import { ScimError, SCIM_CONTENT_TYPE, invalidSyntax } from './errors.js';
import { parseListParams, type ListQuery } from './list.js';
import { parseProjection, project, type Projection } from './representation.js';
import type { ScimCall, ScimUserService, UserResult } from './service.js';

export interface ScimRoutesOptions {
  service: ScimUserService;
  authenticator: Authenticator<ScimPrincipal> | undefined;
  publicBaseUrl: string | undefined;
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
type Method = (typeof ALL_METHODS)[number];

const unauthorized = (detail: string) =>
  new HttpFailure({ status: 401, reason: 'unauthorized', detail, headers: { 'www-authenticate': 'Bearer' } });

/** Where the resource part of a SCIM URL starts: each attempt is a fixed word after a slash (linear). */
export const RESOURCE_SEGMENT = /\/(Users|ServiceProviderConfig|ResourceTypes|Schemas)(\/|$)/i;

const single = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const header = (request: FastifyRequest, name: string): string | undefined => single(request.headers[name]);

/**
 * The SCIM 2.0 Users API (RFC 7644) with discovery. Registered under /scim/v2 and under
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
    return { tenantId: principal.tenantId, clientId: principal.clientId, requestId: request.id, usersUrl: `${baseUrl(request)}/Users` };
  };

  const send = (reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}) =>
    reply.code(status).headers(headers).type(SCIM_CONTENT_TYPE).send(body);

  const sendUser = (reply: FastifyReply, r: UserResult, created = false, projection?: Projection) => {
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

  const routes: Record<string, Partial<Record<Method, (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>>>> = {
    '/Users': {
      POST: async (request, reply) => {
        const projection = writeProjection(request);
        return sendUser(reply, await service.create(callOf(request), request.body), true, projection);
      },
      GET: async (request, reply) => {
        const query = request.query as ListQuery & { attributes?: unknown; excludedAttributes?: unknown };
        return sendList(request, reply, query, { attributes: single(query.attributes), excludedAttributes: single(query.excludedAttributes) });
      },
    },
    // RFC 7644 §3.4.3: the same query in a body, so filters stay out of URLs and logs.
    '/Users/.search': {
      POST: async (request, reply) => {
        const body = request.body;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidSyntax('The body must be a SearchRequest object.');
        const b = body as Record<string, unknown>;
        const joined = (v: unknown): string | undefined => (Array.isArray(v) ? v.join(',') : single(v));
        return sendList(request, reply, {
          filter: b['filter'],
          startIndex: b['startIndex'],
          count: b['count'],
          sortBy: b['sortBy'],
          sortOrder: b['sortOrder'],
        }, { attributes: joined(b['attributes']), excludedAttributes: joined(b['excludedAttributes']) });
      },
    },
    '/Users/:id': {
      GET: async (request, reply) => {
        const query = request.query as { attributes?: unknown; excludedAttributes?: unknown };
        const projection = parseProjection({ attributes: single(query.attributes), excludedAttributes: single(query.excludedAttributes) });
        return sendUser(reply, await service.get(callOf(request), idOf(request), projection, header(request, 'if-none-match')));
      },
      PUT: async (request, reply) => {
        const projection = writeProjection(request);
        return sendUser(reply, await service.replace(callOf(request), idOf(request), request.body, header(request, 'if-match')), false, projection);
      },
      PATCH: async (request, reply) => {
        const projection = writeProjection(request);
        return sendUser(reply, await service.patch(callOf(request), idOf(request), request.body, header(request, 'if-match')), false, projection);
      },
      DELETE: async (request, reply) => sendUser(reply, await service.delete(callOf(request), idOf(request), header(request, 'if-match'))),
    },
    '/ServiceProviderConfig': { GET: async (request, reply) => send(reply, 200, serviceProviderConfig(baseUrl(request))) },
    '/ResourceTypes': { GET: async (request, reply) => send(reply, 200, listResponse([userResourceType(baseUrl(request))])) },
    '/ResourceTypes/:name': {
      GET: async (request, reply) => {
        const name = (request.params as { name: string }).name;
        if (name !== 'User') throw new ScimError(404, `Resource type "${name}" is not served here; only User is.`);
        return send(reply, 200, userResourceType(baseUrl(request)));
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

  async function sendList(request: FastifyRequest, reply: FastifyReply, query: ListQuery, projectionQuery: { attributes: string | undefined; excludedAttributes: string | undefined }) {
    const params = parseListParams(query);
    const projection = parseProjection(projectionQuery);
    const { total, resources } = await service.list(callOf(request), params, projection);
    return send(reply, 200, listResponse(resources, total, params.startIndex));
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
