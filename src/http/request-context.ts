import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Entra sends `client-request-id`; other callers may send `x-request-id`. Anything odd is replaced. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(headers: FastifyRequest['headers']): string {
  for (const name of ['client-request-id', 'x-request-id']) {
    const value = headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first && SAFE_REQUEST_ID.test(first)) return first;
  }
  return randomUUID();
}

/**
 * Echoes the request id and writes one log line per request (route, status, duration). Fastify's own
 * request logging is off, so headers (and their credentials) are never logged.
 */
export const requestContextPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    app.addHook('onResponse', async (request, reply) => {
      request.log.info(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request',
      );
    });
  },
  { name: 'request-context' },
);
