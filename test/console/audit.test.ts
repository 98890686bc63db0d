import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import { buildTestApp } from '../helpers/app.js';
import { seedAudit } from '../helpers/audit.js';
import { ConsoleBrowser, fakeAdminTokens, signInWithToken } from '../helpers/console.js';
import { createTestTenant } from '../helpers/tenants.js';

/** One app for the file (building one per subtest took PGlite minutes on a shared machine); tenants per subtest. */
const tokens: Record<string, { tenantId: string | null; subject: string; role: 'viewer' | 'admin' }> = {};
let app: ReturnType<typeof buildTestApp> | undefined;

async function setup(_t?: unknown) {
  const testApp = await (app ??= buildTestApp(t, { appOptions: { consoleAdminTokens: (tok) => fakeAdminTokens(tokens)(tok) } }));
  const mine = (await createTestTenant(testApp)).tenantId;
  const theirs = (await createTestTenant(testApp)).tenantId;
  tokens['admin'] = { tenantId: mine, subject: 'ops-admin', role: 'admin' };
  tokens['viewer'] = { tenantId: mine, subject: 'ops-viewer', role: 'viewer' };
  tokens['service'] = { tenantId: null, subject: 'msp-root', role: 'admin' };
  const browserAs = async (token: string) => {
    const browser = new ConsoleBrowser(testApp.app);
    await signInWithToken(browser, token);
    return browser;
  };
  return { ...testApp, db: testApp.deps.database.db, mine, theirs, browserAs };
}

t.test("an admin sees the tenant's audit trail, escaped, and nothing of another tenant's", async (t) => {
  const { db, mine, theirs, browserAs } = await setup(t);
  await seedAudit(db, mine, '2025-05-01T08:00:00Z', {
    action: 'oauth_client.revoke',
    actor: { type: 'oidc', id: 'sub-1', label: '<script>alert(1)</script>@x.example', sourceIp: '198.51.100.4' },
    target: { type: 'oauth_client', id: 'client-<b>1</b>' },
    changes: { status: { old: 'active', new: 'revoked' } },
  });
  await seedAudit(db, theirs, '2025-05-01T09:00:00Z', { action: 'ncentral.exclude', target: { type: 'ncentral_customer', id: 'their-customer' } });
  const browser = await browserAs('admin');
  const res = await browser.get('/console/audit');
  t.equal(res.statusCode, 200);
  t.match(res.body, '<a href="/console/audit" aria-current="page">Audit</a>', 'the Audit section is in the navigation');
  t.match(res.body, '&lt;script&gt;alert(1)&lt;/script&gt;@x.example');
  t.notMatch(res.body, '<script>alert(1)</script>');
  t.match(res.body, 'client-&lt;b&gt;1&lt;/b&gt;');
  t.match(res.body, '<code>status</code>: active → revoked');
  t.match(res.body, '198.51.100.4');
  t.notMatch(res.body, 'their-customer');
});

t.test('filters narrow the list and the Older link pages with the same filters', async (t) => {
  const { db, mine, browserAs } = await setup(t);
  for (let i = 0; i < 55; i++) {
    await seedAudit(db, mine, new Date(Date.UTC(2025, 5, 1, 0, i)).toISOString(), { action: 'role_rule.create', target: { type: 'role_rule', id: `rule-${String(i).padStart(2, '0')}` } });
  }
  await seedAudit(db, mine, '2025-06-02T00:00:00Z', { action: 'role_rule.delete', outcome: 'failure', target: { type: 'role_rule', id: 'rule-failed' } });
  const browser = await browserAs('admin');
  const failed = await browser.get('/console/audit?action=role_rule.&outcome=failure');
  t.match(failed.body, 'rule-failed');
  t.notMatch(failed.body, 'rule-54');
  const first = await browser.get('/console/audit?action=role_rule.create');
  t.match(first.body, 'rule-54');
  t.notMatch(first.body, 'rule-04', 'the oldest five are on the next page');
  const older = /href="(\/console\/audit\?[^"]*cursor=[^"]+)" rel="next"/.exec(first.body)?.[1];
  t.ok(older, 'an Older entries link');
  const second = await browser.get((older ?? '').replaceAll('&amp;', '&'));
  t.equal(second.statusCode, 200);
  t.match(second.body, 'rule-04');
  t.match(second.body, 'rule-00');
  t.notMatch(second.body, 'rule-54');
  t.notMatch(second.body, 'rel="next"');
  t.equal((await browser.get('/console/audit?cursor=forged')).statusCode, 400);
});

t.test('a viewer is refused the page and does not see it in the navigation', async (t) => {
  const { browserAs } = await setup(t);
  const browser = await browserAs('viewer');
  const res = await browser.get('/console/audit');
  t.equal(res.statusCode, 403);
  t.notMatch((await browser.get('/console/logs')).body, 'href="/console/audit"');
});

t.test("service-wide actions are shown to service-wide operators only", async (t) => {
  const { db, mine, browserAs } = await setup(t);
  await seedAudit(db, SERVICE_WIDE, '2025-07-01T00:00:00Z', { action: 'signing_key.rotate', target: { type: 'signing_key', id: 'kid-service-console' } });
  const tenantAdmin = await browserAs('admin');
  t.equal((await tenantAdmin.get('/console/audit?scope=service')).statusCode, 403);
  t.notMatch((await tenantAdmin.get('/console/audit')).body, 'kid-service-console');
  const operator = await browserAs('service');
  await operator.get('/console/tenants');
  await operator.post('/console/tenants', { tenantId: mine });
  const page = await operator.get('/console/audit?scope=service');
  t.equal(page.statusCode, 200);
  t.match(page.body, 'kid-service-console');
  t.match(page.body, '<option value="service" selected>Service-wide actions</option>');
  t.notMatch((await operator.get('/console/audit')).body, 'kid-service-console', 'the tenant chain is the default');
});
