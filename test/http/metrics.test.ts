import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { scimClient, userBody } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition format (0.0.4): comment lines, then `name{label="value",…} number`. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

const valueOf = (samples: Sample[], name: string, labels: Record<string, string>): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

t.test('GET /metrics after a few SCIM calls counts requests, SCIM operations, tokens and the pool', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const scim = scimClient(testApp.app, tenant);
  const created = await scim.request('POST', 'Users', userBody('metrics@contoso.com'));
  t.equal(created.statusCode, 201);
  const id = (created.json() as { id: string }).id;
  t.equal((await scim.request('POST', 'Users', userBody('metrics@contoso.com'))).statusCode, 409);
  t.equal((await scim.request('GET', `Users/${id}`)).statusCode, 200);
  await scim.patch(id, [{ op: 'replace', path: 'active', value: 'False' }]);

  const res = await testApp.app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const samples = parseMetrics(res.payload);

  const op = (operation: string, outcome: string) => valueOf(samples, 'scim_operations_total', { tenant: tenant.tenantId, operation, outcome });
  t.equal(op('Create', 'success'), 1);
  t.equal(op('Create', 'failure'), 1);
  t.equal(op('Get', 'success'), 1);
  t.equal(op('Disable', 'success'), 1);
  t.equal(valueOf(samples, 'scim_operation_duration_seconds_count', { operation: 'Create', outcome: 'success' }), 1);

  t.equal(valueOf(samples, 'http_requests_total', { route: '/scim/v2/Users', method: 'POST', status: '201' }), 1);
  t.equal(valueOf(samples, 'http_requests_total', { route: '/scim/v2/Users', method: 'POST', status: '409' }), 1);
  t.equal(valueOf(samples, 'http_requests_total', { route: '/scim/v2/Users/:id', method: 'GET', status: '200' }), 1, 'routes are templates, not ids');
  t.notOk(samples.some((s) => Object.values(s.labels).includes(id)), 'no user id became a label value');
  t.equal(valueOf(samples, 'http_request_duration_seconds_count', { route: '/scim/v2/Users', method: 'POST' }), 2);
  t.equal(valueOf(samples, 'http_request_duration_seconds_bucket', { route: '/scim/v2/Users', method: 'POST', le: '+Inf' }), 2);

  t.equal(valueOf(samples, 'oauth_tokens_issued_total', { tenant: tenant.tenantId }), 1);
  t.type(valueOf(samples, 'db_pool_connections', { state: 'total' }), 'number');
  t.type(valueOf(samples, 'process_cpu_user_seconds_total', {}), 'number');
});

t.test('refused token requests and bearer tokens are counted by reason', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  await testApp.app.inject({
    method: 'POST',
    url: '/oauth2/token',
    headers: form,
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: tenant.clientId, client_secret: 'wrong' }).toString(),
  });
  await testApp.app.inject({ method: 'POST', url: '/oauth2/token', headers: form, payload: 'grant_type=password' });
  await testApp.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: 'Bearer not-a-token' } });
  const samples = parseMetrics((await testApp.app.inject({ method: 'GET', url: '/metrics' })).payload);
  t.equal(valueOf(samples, 'oauth_token_failures_total', { reason: 'invalid_client' }), 1);
  t.equal(valueOf(samples, 'oauth_token_failures_total', { reason: 'unsupported_grant_type' }), 1);
  t.equal(valueOf(samples, 'oauth_token_failures_total', { reason: 'bearer_invalid' }), 1);
});

t.test('with METRICS_TOKEN set, /metrics wants that bearer token', async (t) => {
  const token = 'm'.repeat(40);
  const { app } = await buildTestApp(t, { env: { METRICS_TOKEN: token } });
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
  t.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${'x'.repeat(40)}` } })).statusCode, 401);
  const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
  t.equal(ok.statusCode, 200);
  t.match(ok.payload, /# TYPE http_requests_total counter/);
});

t.test('two apps in one process keep separate registries', async (t) => {
  const a = await buildTestApp(t);
  const b = await buildTestApp(t);
  await a.app.inject({ method: 'GET', url: '/healthz' });
  const fromB = parseMetrics((await b.app.inject({ method: 'GET', url: '/metrics' })).payload);
  t.equal(valueOf(fromB, 'http_requests_total', { route: '/healthz' }), undefined);
});
