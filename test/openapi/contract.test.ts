import Fastify, { type RouteOptions } from 'fastify';
import t from 'tap';
import { loadOpenApiDocument, type OpenApiDocument } from '../../src/openapi/document.js';
import { startFakeOidcProvider } from '../fakes/oidc-provider.js';
import { buildTestApp } from '../helpers/app.js';
import { Contract, ContractViolation, installContractCheck, servedOperations, sharedContract } from '../helpers/contract.js';

t.test('every route Fastify serves is in the OpenAPI document', async (t) => {
  const { routes } = await buildTestApp(t);
  t.same(sharedContract().undocumented(servedOperations(routes)), [], 'routes missing from openapi/portal-provisioning.yaml');
});

// With OpenID Connect configured against the fake provider, so the console's OIDC sign-in routes exist too.
async function withOidc(t: { teardown(fn: () => unknown): void }): Promise<Record<string, string>> {
  const provider = await startFakeOidcProvider();
  t.teardown(() => provider.close());
  return {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.clientId,
    OIDC_CLIENT_SECRET: provider.clientSecret,
    OIDC_ALLOW_LIST: 'ops@example.test=*:admin',
  };
}

t.test('every route Fastify serves with OpenID Connect configured is in the OpenAPI document', async (t) => {
  const { routes } = await buildTestApp(t, { env: await withOidc(t) });
  t.same(sharedContract().undocumented(servedOperations(routes)), [], 'routes missing from openapi/portal-provisioning.yaml');
});

t.test('every operation in the OpenAPI document is a route Fastify serves', async (t) => {
  const { routes } = await buildTestApp(t, { env: await withOidc(t) });
  const served = servedOperations(routes);
  t.ok(served.size >= 4, `Fastify lists its routes (${served.size})`);
  t.same(sharedContract().unserved(served), [], 'operations in the document that no route serves');
});

t.test('GET /openapi.json serves the YAML document as JSON', async (t) => {
  const { app } = await buildTestApp(t, { contractCheck: true });
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  t.same(res.json(), loadOpenApiDocument());
});

t.test('GET /docs is a static page listing every operation, under a CSP that allows no script', async (t) => {
  const { app } = await buildTestApp(t, { contractCheck: true });
  const res = await app.inject({ method: 'GET', url: '/docs' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/html/);
  const csp = String(res.headers['content-security-policy']);
  t.match(csp, /default-src 'none'/);
  t.notMatch(csp, /script-src|unsafe-inline/);
  t.notMatch(res.body, /<script/i);
  for (const op of sharedContract().operations()) {
    const [method, path] = op.split(' ');
    t.ok(res.body.includes(`${method}</span>${(path ?? '').replace(/&/g, '&amp;')}`), `${op} is on the page`);
  }
});

/** A tiny document and app to show the checker refuses what breaks the document. */
const miniDocument: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'mini', version: '1' },
  'x-error-families': [{ prefix: '/', schema: '#/components/schemas/Err', mediaTypes: ['application/json'] }],
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
          '202': { description: 'accepted, no body' },
        },
      },
    },
  },
  components: {
    schemas: {
      Thing: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } }, additionalProperties: false },
      Err: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
    },
  },
};

async function miniApp(t: { teardown(fn: () => unknown): void }, answer: (id: string) => { status: number; body?: unknown; type?: string }) {
  const app = Fastify();
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ error: 'notFound' }));
  app.get('/things/:id', async (request, reply) => {
    const a = answer((request.params as { id: string }).id);
    if (a.type) reply.type(a.type);
    return reply.code(a.status).send(a.body);
  });
  app.get('/undocumented', async () => ({ ok: true }));
  installContractCheck(app, new Contract(miniDocument));
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

t.test('the contract check passes a response that matches the document', async (t) => {
  const app = await miniApp(t, () => ({ status: 200, body: { id: '7d3f2a8e-8a4b-4d0e-9c1a-2f6b8e1d0c3b' } }));
  const res = await app.inject({ method: 'GET', url: '/things/1' });
  t.equal(res.statusCode, 200);
  const head = await app.inject({ method: 'HEAD', url: '/things/1' });
  t.equal(head.statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode, 404);
});

t.test('the contract check rejects a body that breaks the schema', async (t) => {
  const app = await miniApp(t, () => ({ status: 200, body: { id: 'not-a-uuid', extra: 1 } }));
  await t.rejects(app.inject({ method: 'GET', url: '/things/1' }), ContractViolation);
  await t.rejects(app.inject().get('/things/1').end(), /does not match/);
});

t.test('the contract check rejects an undocumented status, media type, route or body', async (t) => {
  let answer: { status: number; body?: unknown; type?: string } = { status: 500, body: { error: 'internal' } };
  const app = await miniApp(t, () => answer);
  await t.rejects(app.inject({ method: 'GET', url: '/things/1' }), /status 500 is not documented/);
  answer = { status: 200, body: 'hello', type: 'text/plain' };
  await t.rejects(app.inject({ method: 'GET', url: '/things/1' }), /content-type "text\/plain" is not documented/);
  answer = { status: 202, body: 'surprise', type: 'text/plain' };
  await t.rejects(app.inject({ method: 'GET', url: '/things/1' }), /says no body/);
  await t.rejects(app.inject({ method: 'GET', url: '/undocumented' }), /not in the OpenAPI document/);
});

t.test('the route listing reads every method and path Fastify registers', async (t) => {
  const routes: RouteOptions[] = [];
  const app = Fastify();
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  app.get('/a', async () => '');
  app.post('/a/b/:id', async () => '');
  app.route({ method: ['PUT', 'PATCH'], url: '/a/b/:id', handler: async () => '' });
  app.get('/a/bc', async () => '');
  app.get('/z/*', async () => '');
  await app.ready();
  t.same([...servedOperations(routes)].sort(), ['GET /a', 'GET /a/bc', 'GET /z/{wildcard}', 'PATCH /a/b/{id}', 'POST /a/b/{id}', 'PUT /a/b/{id}']);
  await app.close();
});
