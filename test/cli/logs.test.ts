import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { runCli } from '../../src/cli/run.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { seedEntry } from '../helpers/provisioning-log.js';
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

async function fixture(t: { teardown(fn: () => unknown): void }) {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const db = testApp.deps.database.db;
  const ok = await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-10T08:00:00Z', userName: 'alice@contoso.com' });
  const failed = await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-10T09:00:00Z', userName: 'bob@contoso.com', outcome: 'failure', detail: 'userName taken' });
  return { testApp, tenant, ok, failed };
}

t.test('logs search --json prints the matching page as one JSON object', async (t) => {
  const { testApp, tenant, failed } = await fixture(t);
  const res = await cli(testApp, 'logs', 'search', '--tenant', tenant.tenantId, '--outcome', 'failure', '--json');
  t.equal(res.code, 0);
  const page = JSON.parse(res.out.join('')) as { entries: Array<{ id: string }>; nextCursor: string | null };
  t.same(page.entries.map((e) => e.id), [failed]);
  t.equal(page.nextCursor, null);
});

t.test('logs search prints a table, and the cursor to the next page', async (t) => {
  const { testApp, tenant } = await fixture(t);
  const res = await cli(testApp, 'logs', 'search', '--tenant', tenant.tenantId, '--limit', '1');
  t.equal(res.code, 0);
  t.match(res.out[0], /^time\s+tenant\s+operation\s+outcome\s+http\s+user/);
  t.match(res.out[1], /^2026-01-10T09:00:00.000Z .*Create\s+failure\s+409\s+bob@contoso.com\s+uniqueness: userName taken$/);
  t.match(res.out.at(-1), /^more: add --cursor [A-Za-z0-9_-]+$/);
});

t.test('logs search filters by user name ignoring case', async (t) => {
  const { testApp, tenant, ok } = await fixture(t);
  const res = await cli(testApp, 'logs', 'search', '--tenant', tenant.tenantId, '--user-name', 'ALICE@contoso.com', '--json');
  t.same((JSON.parse(res.out.join('')) as { entries: Array<{ id: string }> }).entries.map((e) => e.id), [ok]);
});

t.test('logs search refuses a bad filter value with exit code 2', async (t) => {
  const { testApp } = await fixture(t);
  t.equal((await cli(testApp, 'logs', 'search', '--outcome', 'maybe')).code, 2);
  t.equal((await cli(testApp, 'logs', 'search', '--operation', 'Explode')).code, 2);
  t.equal((await cli(testApp, 'logs', 'search', '--from', 'yesterday')).code, 2);
  t.equal((await cli(testApp, 'logs', 'search', '--cursor', 'nonsense')).code, 2);
});

t.test('logs tail --from --once prints the entries since then, oldest first, as NDJSON', async (t) => {
  const { testApp, tenant, ok, failed } = await fixture(t);
  const res = await cli(testApp, 'logs', 'tail', '--tenant', tenant.tenantId, '--from', '2026-01-10T00:00:00Z', '--once', '--json');
  t.equal(res.code, 0);
  t.same(res.out.map((l) => (JSON.parse(l) as { id: string }).id), [ok, failed]);
});

t.test('logs tail follows entries written after it starts, each printed once', async (t) => {
  const { testApp, tenant } = await fixture(t);
  const run = start(testApp, 'logs', 'tail', '--tenant', tenant.tenantId, '--interval', '20', '--max', '3');
  // The header is printed once the starting position is taken; entries before it are not followed.
  while (run.out.length === 0) await sleep(5);
  const db = testApp.deps.database.db;
  await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-11T08:00:00Z', userName: 'carol@contoso.com' });
  await sleep(60);
  await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-11T08:00:01Z', userName: 'dave@contoso.com' });
  await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-11T08:00:02Z', userName: 'erin@contoso.com' });
  t.equal(await run.done, 0);
  const users = run.out.slice(1).map((l) => /(\S+@contoso\.com)/.exec(l)?.[1]);
  t.same(users, ['carol@contoso.com', 'dave@contoso.com', 'erin@contoso.com']);
});

t.test('logs purge --json reports what it deleted', async (t) => {
  const { testApp, tenant } = await fixture(t);
  testApp.clock.set('2026-06-01T00:00:00Z');
  const res = await cli(testApp, 'logs', 'purge', '--json');
  t.equal(res.code, 0);
  const report = JSON.parse(res.out.join('')) as { retention_days: number; deleted: number; byTenant: Record<string, number> };
  t.equal(report.retention_days, 90);
  t.equal(report.byTenant[tenant.tenantId], 2);
});
