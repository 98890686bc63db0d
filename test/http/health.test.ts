import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

t.test('GET /healthz answers 200 while the process runs', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
});

t.test('GET /readyz answers 200 when the database answers', async (t) => {
  const { app, testDb } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 200);
  t.equal(res.json().database, testDb.database.kind);
});

t.test('GET /readyz answers 503 when the database does not', async (t) => {
  const { app, deps } = await buildTestApp(t);
  const real = deps.database.ping;
  deps.database.ping = () => Promise.reject(new Error('connection refused'));
  t.teardown(() => {
    deps.database.ping = real;
  });
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 503);
  t.equal(res.json().status, 'unavailable');
});

t.test('an incoming client-request-id is echoed back and logged', async (t) => {
  const { app, logLines } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'client-request-id': 'entra-1234' } });
  t.equal(res.headers['x-request-id'], 'entra-1234');
  const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['requestId'] === 'entra-1234' && l['msg'] === 'request');
  t.equal(line?.['route'], 'unmatched');
  t.equal(line?.['status'], 404);
  t.type(line?.['durationMs'], 'number');
});

t.test('without a request id header one is generated', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/);
});

t.test('the authorization header never reaches the log', async (t) => {
  const { app, logLines } = await buildTestApp(t);
  await app.inject({ method: 'GET', url: '/nowhere', headers: { authorization: 'Bearer super-secret-value' } });
  t.notOk(logLines.some((l) => l.includes('super-secret-value')));
});

t.test('an unknown route answers 404 in JSON', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/nowhere' });
  t.equal(res.statusCode, 404);
  t.equal(res.json().error, 'notFound');
});
