import t from 'tap';
import { createLogger } from '../../src/log.js';
import { purgeDepsOf, purgeExpiredEntries, PURGE_JOB, registerPurgeJob } from '../../src/provisioning-log/service.js';
import { InProcessScheduler } from '../../src/scheduler/in-process.js';
import type { JobHandler } from '../../src/scheduler/scheduler.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { seedEntry } from '../helpers/provisioning-log.js';
import { createTestTenant } from '../helpers/tenants.js';

const DAY = 24 * 3600_000;

const remaining = async (testApp: TestApp, tenantId: string): Promise<string[]> =>
  (
    await testApp.deps.database.db
      .selectFrom('provisioning_log')
      .select('occurred_at')
      .where('tenant_id', '=', tenantId)
      .orderBy('occurred_at')
      .execute()
  ).map((r) => r.occurred_at.toISOString());

/** Entries 100, 91, 90 (exactly at the cutoff), 89 and 1 days before the clock's now. */
async function seedAges(testApp: TestApp, tenantId: string): Promise<void> {
  const now = testApp.clock.now().getTime();
  for (const days of [100, 91, 90, 89, 1]) await seedEntry(testApp.deps.database.db, tenantId, { occurredAt: new Date(now - days * DAY) });
}

t.test('the purge deletes entries older than RETENTION_DAYS (default 90) and keeps the rest', async (t) => {
  const testApp = await buildTestApp(t);
  testApp.clock.set('2026-06-01T00:00:00Z');
  const tenant = await createTestTenant(testApp);
  await seedAges(testApp, tenant.tenantId);
  const result = await purgeExpiredEntries(purgeDepsOf(testApp.deps));
  t.equal(result.cutoff, '2026-03-03T00:00:00.000Z');
  t.equal(result.byTenant[tenant.tenantId], 2);
  t.same(await remaining(testApp, tenant.tenantId), ['2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z', '2026-05-31T00:00:00.000Z']);
});

t.test('as the clock moves on, entries that were kept expire in turn', async (t) => {
  const testApp = await buildTestApp(t);
  testApp.clock.set('2026-06-01T00:00:00Z');
  const tenant = await createTestTenant(testApp);
  await seedAges(testApp, tenant.tenantId);
  await purgeExpiredEntries(purgeDepsOf(testApp.deps));
  testApp.clock.advance(2 * DAY);
  const again = await purgeExpiredEntries(purgeDepsOf(testApp.deps));
  t.equal(again.byTenant[tenant.tenantId], 2);
  t.same(await remaining(testApp, tenant.tenantId), ['2026-05-31T00:00:00.000Z']);
});

t.test('RETENTION_DAYS sets the period', async (t) => {
  const testApp = await buildTestApp(t, { env: { RETENTION_DAYS: '7' } });
  testApp.clock.set('2026-06-01T00:00:00Z');
  const tenant = await createTestTenant(testApp);
  await seedAges(testApp, tenant.tenantId);
  await purgeExpiredEntries(purgeDepsOf(testApp.deps));
  t.same(await remaining(testApp, tenant.tenantId), ['2026-05-31T00:00:00.000Z']);
});

t.test('the purge works in batches of the given size, every tenant, and logs one line with the counts', async (t) => {
  const testApp = await buildTestApp(t);
  testApp.clock.set('2027-06-01T00:00:00Z');
  const a = await createTestTenant(testApp);
  const b = await createTestTenant(testApp);
  const old = new Date(testApp.clock.now().getTime() - 200 * DAY);
  for (let i = 0; i < 3; i++) await seedEntry(testApp.deps.database.db, a.tenantId, { occurredAt: new Date(old.getTime() + i) });
  for (let i = 0; i < 2; i++) await seedEntry(testApp.deps.database.db, b.tenantId, { occurredAt: new Date(old.getTime() + 10 + i) });
  const result = await purgeExpiredEntries(purgeDepsOf(testApp.deps), { batchSize: 2 });
  // 5 entries of this test plus whatever other tests of this file left that is also old by this clock.
  t.ok(result.batches >= 3, `${result.batches} batches of 2`);
  t.equal(result.byTenant[a.tenantId], 3);
  t.equal(result.byTenant[b.tenantId], 2);
  t.same(await remaining(testApp, a.tenantId), []);
  const line = testApp.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['event'] === 'provisioning-log.purge');
  t.match(line, { level: 30, msg: 'provisioning log purged', retentionDays: 90, deleted: result.deleted, batches: result.batches, cutoff: '2027-03-03T00:00:00.000Z' });
  const metrics = await (await testApp.app.inject({ method: 'GET', url: '/metrics' })).payload;
  t.match(metrics, new RegExp(`provisioning_log_purged_entries_total ${result.deleted}\\b`));
});

t.test('with nothing to purge it runs one batch and deletes nothing', async (t) => {
  const testApp = await buildTestApp(t);
  testApp.clock.set('2000-01-01T00:00:00Z');
  const result = await purgeExpiredEntries(purgeDepsOf(testApp.deps));
  t.same(result, { cutoff: '1999-10-03T00:00:00.000Z', deleted: 0, batches: 1, byTenant: {}, formerNames: 0, assetChanges: { deleted: 0, batches: 1, byTenant: {} } });
});

t.test("a deleted user's former names go with the last entries that carried them", async (t) => {
  const testApp = await buildTestApp(t);
  testApp.clock.set('2026-06-01T00:00:00Z');
  const tenant = await createTestTenant(testApp);
  const db = testApp.deps.database.db;
  const now = testApp.clock.now().getTime();
  // Seeded success entries record their users' names as former names, until the entry's time.
  await seedEntry(db, tenant.tenantId, { occurredAt: new Date(now - 100 * DAY), userName: 'gone@contoso.com' });
  await seedEntry(db, tenant.tenantId, { occurredAt: new Date(now - 10 * DAY), userName: 'kept@contoso.com' });
  const result = await purgeExpiredEntries(purgeDepsOf(testApp.deps));
  t.equal(result.formerNames, 1);
  const left = await db.selectFrom('account_former_names').select('user_name').where('tenant_id', '=', tenant.tenantId).execute();
  t.same(left.map((r) => r.user_name), ['kept@contoso.com']);
});

t.test('the purge is registered as a daily job that purges when it fires', async (t) => {
  const testApp = await buildTestApp(t);
  testApp.clock.set('2026-06-01T00:00:00Z');
  const tenant = await createTestTenant(testApp);
  await seedAges(testApp, tenant.tenantId);
  const registered: Array<{ name: string; cron: string; timeZone: string; handler: JobHandler }> = [];
  await registerPurgeJob({ register: async (name, cron, timeZone, handler) => void registered.push({ name, cron, timeZone, handler }) }, purgeDepsOf(testApp.deps));
  t.equal(registered.length, 1);
  const job = registered[0];
  t.equal(job?.name, PURGE_JOB);
  // The in-process scheduler (PGlite) reads the cron the same way pg-boss does: the next firing is 03:17 UTC.
  const scheduler = new InProcessScheduler({ clock: testApp.clock, log: createLogger('silent') });
  await scheduler.register(job?.name ?? '', job?.cron ?? '', job?.timeZone ?? '', async () => undefined);
  t.equal(scheduler.nextFiring(PURGE_JOB)?.toISOString(), '2026-06-01T03:17:00.000Z');
  await job?.handler({ id: `${PURGE_JOB}@2026-06-01T03:17:00.000Z`, name: PURGE_JOB });
  t.equal((await remaining(testApp, tenant.tenantId)).length, 3);
});
