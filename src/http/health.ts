import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../store/database.js';

/** /healthz: the process answers. /readyz: the database answers too, so a load balancer can route around us. */
export const healthPlugin = fp<{ database: Database }>(
  async (app: FastifyInstance, { database }) => {
    app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
    app.get('/readyz', { logLevel: 'warn' }, async (request, reply) => {
      try {
        await database.ping(2000);
        return { status: 'ready', database: database.kind };
      } catch (err) {
        request.log.warn({ err: { message: (err as Error).message } }, 'readiness check failed');
        return reply.code(503).send({ status: 'unavailable', database: database.kind, message: 'database is not answering' });
      }
    });
  },
  { name: 'health' },
);
