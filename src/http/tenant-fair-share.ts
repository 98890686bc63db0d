import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Clock } from '../clock.js';
import type { TenantFairShare } from '../tenants/fair-share.js';
import { HttpFailure } from './errors.js';

/** A route family whose requests count against their tenant's share, by route-template prefix. */
export interface SharedFamily {
  name: string;
  prefix: string;
}

export interface TenantFairShareOptions {
  share: TenantFairShare;
  clock: Clock;
  families: SharedFamily[];
  /** Counts refusals (GET /metrics). */
  onRefused?: (tenantId: string, family: string, reason: 'concurrency' | 'rate') => void;
}

/**
 * Holds each tenant to its share of this process (src/tenants/fair-share.ts). It runs at preParsing: after every
 * onRequest hook, so the route family's authentication has named the tenant, and before the body is read, so a
 * refusal costs little. The slot is held until the response is sent or the client goes away; a slow body thus
 * uses up its own tenant's slots only. Service-wide admins (no tenant) are not limited.
 */
export const tenantFairSharePlugin = fp<TenantFairShareOptions>(
  async (app: FastifyInstance, { share, clock, families, onRefused }) => {
    const releases = new WeakMap<FastifyRequest, () => void>();
    const release = (request: FastifyRequest) => {
      releases.get(request)?.();
      releases.delete(request);
    };

    app.addHook('preParsing', async (request, _reply, payload) => {
      const route = request.routeOptions.url ?? '';
      const family = families.find((f) => route.startsWith(f.prefix));
      const tenantId = request.principal?.tenantId;
      if (!family || !tenantId) return payload;
      const admission = share.admit(`${family.name}:${tenantId}`, clock.now().getTime());
      if (admission.admitted) {
        releases.set(request, admission.release);
        return payload;
      }
      onRefused?.(tenantId, family.name, admission.reason);
      const what = admission.reason === 'concurrency' ? 'requests at once' : 'requests per second';
      // RFC 7644 §3.12 lists 429 among SCIM statuses; no scimType fits (tooMany is about filters), so none is sent.
      throw new HttpFailure({
        status: 429,
        reason: 'rateLimited',
        detail: `This tenant is over its share of this server (${what}); retry after ${admission.retryAfterSeconds} s.`,
        headers: { 'retry-after': String(admission.retryAfterSeconds) },
      });
    });
    app.addHook('onResponse', async (request) => release(request));
    app.addHook('onRequestAbort', async (request) => release(request));
  },
  { name: 'tenant-fair-share' },
);
