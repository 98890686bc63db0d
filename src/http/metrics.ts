import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../metrics.js';
import { HttpFailure } from './errors.js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Counts every request (by route template, so ids in URLs never become label values) and serves
 * GET /metrics in Prometheus text format, behind METRICS_TOKEN when one is configured.
 */
export const metricsPlugin = fp<{ metrics: Metrics; token: string | undefined }>(
  async (app: FastifyInstance, { metrics, token }) => {
    app.addHook('onResponse', async (request, reply) => {
      metrics.recordRequest(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    });

    const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
    app.get('/metrics', { logLevel: 'warn' }, async (request, reply) => {
      if (expected) {
        // Hashing both sides gives equal lengths, so the compare is constant-time whatever was sent.
        const sent = digest(request.headers.authorization ?? '');
        if (!timingSafeEqual(sent, expected)) {
          throw new HttpFailure({
            status: 401,
            reason: 'unauthorized',
            detail: 'GET /metrics needs the metrics bearer token.',
            headers: { 'www-authenticate': 'Bearer realm="metrics"' },
          });
        }
      }
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
  },
  { name: 'metrics' },
);
