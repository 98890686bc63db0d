import t from 'tap';
import { runCli } from '../../src/cli/run.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { createTestTenant } from '../helpers/tenants.js';

async function cli(testApp: TestApp, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => testApp.deps);
  return { code, out, err };
}

t.test('admin-token create --json prints {"token"} that the admin API accepts', async (t) => {
  const testApp = await buildTestApp(t);
  const res = await cli(testApp, 'admin-token', 'create', '--json');
  t.equal(res.code, 0);
  const printed = JSON.parse(res.out.join('')) as { token: string; tenant_id: string | null };
  t.match(printed.token, /^ppadm_/);
  t.equal(printed.tenant_id, null);
  const api = await testApp.app.inject({ method: 'GET', url: '/admin/v1/provisioning-logs', headers: { authorization: `Bearer ${printed.token}` } });
  t.equal(api.statusCode, 200);
});

t.test('admin-token create --tenant scopes the token to that tenant, found by name', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp, 'Contoso-cli');
  const res = await cli(testApp, 'admin-token', 'create', '--tenant', 'contoso-CLI', '--json');
  t.equal(res.code, 0);
  t.equal(JSON.parse(res.out.join('')).tenant_id, tenant.tenantId);
});

t.test('admin-token create for an unknown tenant fails with exit code 1 and a clear message', async (t) => {
  const testApp = await buildTestApp(t);
  const res = await cli(testApp, 'admin-token', 'create', '--tenant', 'nobody-here');
  t.equal(res.code, 1);
  t.match(res.err.join('\n'), /no tenant "nobody-here"/);
});

t.test('admin-token list shows tokens without their secrets, and revoke marks one revoked', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const created = JSON.parse((await cli(testApp, 'admin-token', 'create', '--tenant', tenant.tenantId, '--json')).out.join('')) as { id: string; token: string };
  t.equal((await cli(testApp, 'admin-token', 'revoke', created.id)).code, 0);
  const list = await cli(testApp, 'admin-token', 'list', '--tenant', tenant.tenantId, '--json');
  const tokens = (JSON.parse(list.out.join('')) as { tokens: Array<{ id: string; revoked_at: string | null }> }).tokens;
  t.equal(tokens.length, 1);
  t.equal(tokens[0]?.id, created.id);
  t.ok(tokens[0]?.revoked_at);
  t.notOk(list.out.join('').includes(created.token.slice(-43)));
});

t.test('an unknown option is a usage error (exit 2)', async (t) => {
  const testApp = await buildTestApp(t);
  const res = await cli(testApp, 'admin-token', 'create', '--tennant', 'x');
  t.equal(res.code, 2);
});
