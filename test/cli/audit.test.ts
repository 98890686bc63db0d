import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import type { AuditEntryView } from '../../src/audit/entry-view.js';
import { runCli } from '../../src/cli/run.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { seedAudit } from '../helpers/audit.js';
import { createTestTenant } from '../helpers/tenants.js';

function start(testApp: TestApp, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const done = runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => testApp.deps);
  return { out, err, done };
}
async function cli(testApp: TestApp, ...argv: string[]) {
  const run = start(testApp, ...argv);
  return { code: await run.done, out: run.out, err: run.err };
}

const WINDOW = ['--from', '2025-01-01T00:00:00Z', '--to', '2025-12-31T00:00:00Z'];

/** One app for the file (building one per subtest took PGlite minutes on a shared machine); a tenant per subtest. */
let app: Promise<TestApp> | undefined;

async function fixture(_t?: unknown) {
  const testApp = await (app ??= buildTestApp(t));
  const tenant = await createTestTenant(testApp, `audit-cli-${randomUUID()}`);
  const db = testApp.deps.database.db;
  const created = await seedAudit(db, tenant.tenantId, '2025-02-01T08:00:00Z', {
    action: 'oauth_client.create',
    target: { type: 'oauth_client', id: 'client-7' },
    actor: { type: 'oidc', id: 'sub-9', label: 'alice@msp.example' },
  });
  const renamed = await seedAudit(db, tenant.tenantId, '2025-02-02T08:00:00Z', {
    action: 'tenant.rename',
    target: { type: 'tenant', id: tenant.tenantId },
    changes: { name: { old: 'Contoso', new: 'Contoso Ltd' } },
  });
  const refused = await seedAudit(db, tenant.tenantId, '2025-02-03T08:00:00Z', { action: 'console.sign_in', outcome: 'refused', actor: { type: 'anonymous' } });
  return { testApp, tenant, created, renamed, refused };
}

t.test('audit search --json prints the page of matching entries, newest first', async (t) => {
  const { testApp, tenant, created, renamed, refused } = await fixture(t);
  const res = await cli(testApp, 'audit', 'search', '--tenant', tenant.tenantId, ...WINDOW, '--json');
  t.equal(res.code, 0);
  const page = JSON.parse(res.out.join('')) as { entries: AuditEntryView[]; nextCursor: string | null };
  t.same(page.entries.map((e) => e.id), [refused.id, renamed.id, created.id]);
  t.equal(page.nextCursor, null);
});

t.test('audit search filters by actor, action prefix, target and outcome', async (t) => {
  const { testApp, tenant, created, refused } = await fixture(t);
  const ids = async (...args: string[]) =>
    (JSON.parse((await cli(testApp, 'audit', 'search', '--tenant', tenant.tenantId, ...WINDOW, '--json', ...args)).out.join('')) as { entries: AuditEntryView[] }).entries.map((e) => e.id);
  t.same(await ids('--actor', 'ALICE@msp.example'), [created.id]);
  t.same(await ids('--action', 'oauth_client.'), [created.id]);
  t.same(await ids('--target', 'oauth_client:client-7'), [created.id]);
  t.same(await ids('--outcome', 'refused'), [refused.id]);
});

t.test('audit search prints a table with the change, and the cursor to the next page', async (t) => {
  const { testApp, tenant } = await fixture(t);
  const res = await cli(testApp, 'audit', 'search', '--tenant', tenant.tenantId, ...WINDOW, '--limit', '2');
  t.equal(res.code, 0);
  t.match(res.out[0], /^time\s+tenant\s+action\s+outcome\s+actor\s+target$/);
  t.match(res.out[1], /^2025-02-03T08:00:00.000Z\s+\S{8}\s+console.sign_in\s+refused\s+anonymous\s+-$/);
  t.match(res.out[2], /tenant\.rename\s+success\s+admin_token:Ops@MSP\.example\s+tenant:\S+\s+name: "Contoso" -> "Contoso Ltd"$/);
  const cursor = /^more: add --cursor (\S+)$/.exec(res.out.at(-1) ?? '')?.[1];
  t.ok(cursor);
  const next = await cli(testApp, 'audit', 'search', '--tenant', tenant.tenantId, ...WINDOW, '--cursor', cursor ?? '', '--json');
  t.same((JSON.parse(next.out.join('')) as { entries: AuditEntryView[] }).entries.map((e) => e.action), ['oauth_client.create']);
});

t.test('audit search reads the service-wide chain with --tenant service-wide', async (t) => {
  const { testApp } = await fixture(t);
  const entry = await seedAudit(testApp.deps.database.db, SERVICE_WIDE, '2025-03-01T00:00:00Z', { action: 'signing_key.rotate', target: { type: 'signing_key', id: `kid-${randomUUID()}` } });
  const res = await cli(testApp, 'audit', 'search', '--tenant', 'service-wide', '--target', entry.target?.id ?? '', '--json');
  t.same((JSON.parse(res.out.join('')) as { entries: AuditEntryView[] }).entries.map((e) => e.id), [entry.id]);
});

t.test('audit search refuses bad options with exit code 2, and an unknown tenant name with 1', async (t) => {
  const { testApp } = await fixture(t);
  t.equal((await cli(testApp, 'audit', 'search', '--outcome', 'maybe')).code, 2);
  t.equal((await cli(testApp, 'audit', 'search', '--from', 'yesterday')).code, 2);
  t.equal((await cli(testApp, 'audit', 'search', '--action', 'x%')).code, 2);
  t.equal((await cli(testApp, 'audit', 'search', '--cursor', 'nonsense')).code, 2);
  t.equal((await cli(testApp, 'audit', 'search', '--limit', '0')).code, 2);
  t.equal((await cli(testApp, 'audit', 'nosuch')).code, 2);
  t.equal((await cli(testApp, 'audit', 'search', '--tenant', 'no-such-tenant-name')).code, 1);
});

t.test('audit tail --from --once prints the entries since then, oldest first, as NDJSON', async (t) => {
  const { testApp, tenant, created, renamed, refused } = await fixture(t);
  const res = await cli(testApp, 'audit', 'tail', '--tenant', tenant.tenantId, '--from', '2025-02-01T00:00:00Z', '--to', '2025-12-31T00:00:00Z', '--once', '--json');
  t.equal(res.code, 0);
  t.same(res.out.map((l) => (JSON.parse(l) as AuditEntryView).id), [created.id, renamed.id, refused.id]);
});

t.test('audit tail follows entries written after it starts, each printed once', async (t) => {
  const { testApp, tenant } = await fixture(t);
  const run = start(testApp, 'audit', 'tail', '--tenant', tenant.tenantId, '--interval', '20', '--max', '3');
  // The header is printed once the starting position is taken; entries before it are not followed.
  while (run.out.length === 0) await sleep(5);
  const db = testApp.deps.database.db;
  const later = (s: number) => new Date(testApp.clock.now().getTime() + 3_600_000 + s * 1000).toISOString();
  await seedAudit(db, tenant.tenantId, later(0), { action: 'tenant.disable' });
  await sleep(60);
  await seedAudit(db, tenant.tenantId, later(1), { action: 'tenant.enable' });
  await seedAudit(db, tenant.tenantId, later(2), { action: 'tenant.rename' });
  t.equal(await run.done, 0);
  t.same(run.out.slice(1).map((l) => /\s(tenant\.\w+)\s/.exec(l)?.[1]), ['tenant.disable', 'tenant.enable', 'tenant.rename']);
});
