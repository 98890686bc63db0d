import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { docsPageCsp, renderDocsPage } from '../openapi/docs-page.js';
import { loadOpenApiDocument, type OpenApiDocument } from '../openapi/document.js';

/** GET /openapi.json (the YAML document as JSON) and GET /docs (the same as a static page). */
export const openApiPlugin = fp<{ document?: OpenApiDocument }>(
  async (app: FastifyInstance, options) => {
    const document = options.document ?? loadOpenApiDocument();
    const json = JSON.stringify(document);
    const page = renderDocsPage(document);
    app.get('/openapi.json', { logLevel: 'warn' }, async (_request, reply) =>
      reply.type('application/json; charset=utf-8').header('cache-control', 'public, max-age=300').send(json),
    );
    app.get('/docs', { logLevel: 'warn' }, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', docsPageCsp)
        .header('x-content-type-options', 'nosniff')
        .send(page),
    );
  },
  { name: 'openapi' },
);
