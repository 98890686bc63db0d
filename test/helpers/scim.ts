import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { TestTenant } from './tenants.js';

export const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const NABLE = 'urn:ietf:params:scim:schemas:extension:nable:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A valid portal-account User; overrides replace top-level attributes. */
export const userBody = (userName: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  schemas: [CORE],
  userName,
  active: true,
  name: { givenName: 'Given', familyName: 'Family' },
  ...overrides,
});

export interface ScimClient {
  request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  create(userName: string, overrides?: Record<string, unknown>): Promise<Record<string, unknown> & { id: string }>;
  patch(id: string, operations: unknown[], headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** SCIM calls as one tenant, always with the tenant's own credential headers. */
export function scimClient(app: FastifyInstance, tenant: TestTenant): ScimClient {
  const request: ScimClient['request'] = (method, url, body, headers = {}) =>
    app.inject({
      method,
      url: url.startsWith('/') ? url : `/scim/v2/${url}`,
      headers: { ...tenant.scimHeaders, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }), ...headers },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return {
    request,
    async create(userName, overrides) {
      const res = await request('POST', 'Users', userBody(userName, overrides));
      if (res.statusCode !== 201) throw new Error(`create ${userName} failed: ${res.statusCode} ${res.body}`);
      return res.json() as Record<string, unknown> & { id: string };
    },
    patch: (id, operations, headers) => request('PATCH', `Users/${id}`, { schemas: [PATCH_OP], Operations: operations }, headers),
  };
}
