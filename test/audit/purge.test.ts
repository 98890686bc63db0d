import { randomUUID } from 'node:crypto';
import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import { AUDIT_PURGE_ACTION, type ChainBreak } from '../../src/audit/chain.js';
import { AUDIT_PURGE_CRON, AUDIT_PURGE_JOB, createAuditPurgeService, registerAuditPurgeJob } from '../../src/audit/purge-service.js';
import { loadConfig } from '../../src/config.js';
import { verifyAuditChains } from '../../src/audit/verify-service.js';
import { listChainEntries } from '../../src/store/audit-entries.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { seedAudit } from '../helpers/audit.js';

const DAY = 86_400_000;

/** One app for the file (building one per subtest took PGlite minutes on a shared machine); a chain per subtest. */
let app: Promise<TestApp> | undefined;
const sharedApp = () => (app ??= buildTestApp(t));

/** What `audit verify` reports for one chain: its first break, or undefined. */
async function firstBreak(testApp: TestApp, tenantId: string): Promise<ChainBreak | undefined> {
  const report = await verifyAuditChains(testApp.deps.database.db, { tenantId });
  return report.chains[0]?.broken ?? undefined;
}

async function chain(testApp: TestApp, tenantId: string) {
  return listChainEntries(testApp.deps.database.db, tenantId, 0, 10_000);
}

/** A chain with entries 500, 450, 420 (past 400 days) and 30 days old, on the test clock. */
async function fixture(_t?: unknown) {
  const testApp = await sharedApp();
  const db = testApp.deps.database.db;
  const now = testApp.clock.now().getTime();
  const ago = (days: number) => new Date(now - days * DAY).toISOString();
  const tenant = randomUUID();
  const old = [await seedAudit(db, tenant, ago(500)), await seedAudit(db, tenant, ago(450)), await seedAudit(db, tenant, ago(420))];
  const recent = await seedAudit(db, tenant, ago(30));
  const purge = createAuditPurgeService({ database: testApp.deps.database, clock: testApp.clock, log: testApp.deps.log, retentionDays: 400 });
  return { testApp, db, tenant, old, recent, purge, ago };
}

t.test('AUDIT_RETENTION_DAYS defaults to 400 and is read as a number of days', async (t) => {
  t.equal(loadConfig({}).auditRetentionDays, 400);
  t.equal(loadConfig({ AUDIT_RETENTION_DAYS: '730' }).auditRetentionDays, 730);
  t.throws(() => loadConfig({ AUDIT_RETENTION_DAYS: '0' }), /AUDIT_RETENTION_DAYS/);
});

t.test('the purge deletes the entries past retention and records itself in the same chain, which still verifies', async (t) => {
  const { testApp, tenant, old, recent, purge } = await fixture(t);
  t.equal(await firstBreak(testApp, tenant), undefined, 'the untouched chain verifies');
  const result = await purge.purgeExpired();
  t.equal(result.deleted, 3);
  t.same(result.byChain[tenant], { deleted: 3, throughSeq: old[2]?.seq, throughOccurredAt: old[2]?.occurredAt.toISOString() });
  const left = await chain(testApp, tenant);
  t.same(left.map((e) => e.seq), [recent.seq, recent.seq + 1], 'the recent entry, then the purge record');
  t.match(left[1], {
    action: AUDIT_PURGE_ACTION,
    outcome: 'success',
    actor: { type: 'system', id: AUDIT_PURGE_JOB },
    occurredAt: testApp.clock.now(),
    detail: { purged: 3, purgedThroughSeq: old[2]?.seq, purgedThroughHash: old[2]?.hash, retentionDays: 400 },
  });
  t.equal(await firstBreak(testApp, tenant), undefined, 'the chain verifies after the purge');
});

t.test('a second purge finds nothing old enough and writes nothing', async (t) => {
  const { testApp, tenant, purge } = await fixture(t);
  await purge.purgeExpired();
  const before = await chain(testApp, tenant);
  const again = await purge.purgeExpired();
  t.equal(again.byChain[tenant], undefined);
  t.same((await chain(testApp, tenant)).map((e) => e.id), before.map((e) => e.id));
});

t.test('only a prefix goes: an old-looking entry after a younger one waits for a later purge', async (t) => {
  const testApp = await sharedApp();
  const db = testApp.deps.database.db;
  const now = testApp.clock.now().getTime();
  const ago = (days: number) => new Date(now - days * DAY).toISOString();
  const tenant = randomUUID();
  const first = await seedAudit(db, tenant, ago(500));
  await seedAudit(db, tenant, ago(10));
  const late = await seedAudit(db, tenant, ago(450));
  const purge = createAuditPurgeService({ database: testApp.deps.database, clock: testApp.clock, log: testApp.deps.log, retentionDays: 400 });
  const result = await purge.purgeExpired();
  t.same(result.byChain[tenant], { deleted: 1, throughSeq: first.seq, throughOccurredAt: first.occurredAt.toISOString() });
  t.ok((await chain(testApp, tenant)).some((e) => e.id === late.id), 'no hole in the chain');
  t.equal(await firstBreak(testApp, tenant), undefined);
});

t.test('in batches, each recorded, and every chain purged: the service-wide one too', async (t) => {
  const testApp = await sharedApp();
  const db = testApp.deps.database.db;
  const now = testApp.clock.now().getTime();
  const tenant = randomUUID();
  for (let i = 0; i < 5; i++) await seedAudit(db, tenant, new Date(now - (600 - i) * DAY).toISOString());
  const serviceOld = await seedAudit(db, SERVICE_WIDE, new Date(now - 700 * DAY).toISOString(), { action: 'signing_key.rotate' });
  const purge = createAuditPurgeService({ database: testApp.deps.database, clock: testApp.clock, log: testApp.deps.log, retentionDays: 400 });
  const result = await purge.purgeExpired({ batchSize: 2 });
  t.equal(result.byChain[tenant]?.deleted, 5);
  t.equal(result.byChain[tenant]?.throughSeq, 5);
  const records = (await chain(testApp, tenant)).filter((e) => e.action === AUDIT_PURGE_ACTION);
  t.same(records.map((r) => (r.detail as { purged: number }).purged), [2, 2, 1], 'one record per batch');
  t.equal(await firstBreak(testApp, tenant), undefined);
  t.ok(result.byChain[SERVICE_WIDE] && result.byChain[SERVICE_WIDE].throughSeq >= serviceOld.seq);
  t.notOk((await chain(testApp, SERVICE_WIDE)).some((e) => e.id === serviceOld.id));
  t.equal(await firstBreak(testApp, SERVICE_WIDE), undefined);
  t.ok(testApp.logLines.some((l) => l.includes('"event":"audit.purge"') && l.includes(tenant)), 'the run logs one line with its counts');
});

t.test('a row deleted by hand from the start of a chain, without a purge record, is a break', async (t) => {
  const { testApp, db, tenant, old } = await fixture(t);
  await db.deleteFrom('audit_entries').where('tenant_id', '=', tenant).where('seq', '=', String(old[0]?.seq)).execute();
  t.match(await firstBreak(testApp, tenant), { reason: 'missing-start', seq: old[1]?.seq });
});

t.test('the job is registered daily in UTC and runs the purge', async (t) => {
  const { testApp, tenant, purge } = await fixture(t);
  const registered: Array<{ name: string; cron: string; tz: string; run: () => Promise<void> }> = [];
  await registerAuditPurgeJob({ register: async (name, cron, tz, handler) => void registered.push({ name, cron, tz, run: () => handler({ id: 'job-1', name }) }) }, purge);
  t.same(registered.map((r) => [r.name, r.cron, r.tz]), [[AUDIT_PURGE_JOB, AUDIT_PURGE_CRON, 'UTC']]);
  await registered[0]?.run();
  t.ok((await chain(testApp, tenant)).some((e) => e.action === AUDIT_PURGE_ACTION));
});
