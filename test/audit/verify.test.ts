import { sql } from 'kysely';
import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import { AUDIT_PURGE_ACTION, type PurgeDetail } from '../../src/audit/chain.js';
import { PURGE_JOB, purgeDepsOf, purgeExpiredEntries } from '../../src/provisioning-log/service.js';
import { appendAuditEntry } from '../../src/store/audit-entries.js';
import { buildTestApp } from '../helpers/app.js';
import { chainOf, cliAs } from '../helpers/audit.js';
import { seedEntry } from '../helpers/provisioning-log.js';
import { createTestTenant } from '../helpers/tenants.js';

const DAY = 24 * 3600_000;
const uniqueName = (what: string) => `${what} ${Math.random().toString(36).slice(2, 8)}`;

t.test('audit verify', async (t) => {
  const testApp = await buildTestApp(t);
  const { deps } = testApp;
  const db = deps.database.db;
  const created = (await cliAs(deps, 'alice', 'tenant', 'create', uniqueName('Contoso'), '--json')).json();
  const tenantId = String(created['id']);
  await cliAs(deps, 'alice', 'tenant', 'disable', tenantId);
  await cliAs(deps, 'alice', 'tenant', 'enable', tenantId);
  await cliAs(deps, 'alice', 'client', 'create', '--tenant', tenantId);

  t.test('passes on untouched chains, listing each with its head', async (t) => {
    const run = await cliAs(deps, 'ops', 'audit', 'verify', '--json');
    t.equal(run.code, 0);
    const report = run.json() as { ok: boolean; chains: Array<{ tenantId: string; entries: number; broken: unknown; head: { seq: number } }> };
    t.equal(report.ok, true);
    t.match(report.chains.find((c) => c.tenantId === tenantId), { entries: 4, broken: null, head: { seq: 4 } });
    const human = await cliAs(deps, 'ops', 'audit', 'verify', '--tenant', tenantId);
    t.equal(human.code, 0);
    t.match(human.out.join('\n'), /ok: 1 chain\(s\) verified/);
  });

  t.test('names the first broken entry after one row is edited by hand in SQL, exit 1', async (t) => {
    const [, second] = await chainOf(db, tenantId);
    await sql`update audit_entries set actor_id = 'someone-else' where tenant_id = ${tenantId} and seq = 2`.execute(db);
    const run = await cliAs(deps, 'ops', 'audit', 'verify', '--json');
    t.equal(run.code, 1);
    const report = run.json() as { ok: boolean; chains: Array<{ tenantId: string; broken: Record<string, unknown> | null }> };
    t.equal(report.ok, false);
    const broken = report.chains.find((c) => c.tenantId === tenantId)?.broken;
    t.match(broken, { tenantId, seq: 2, id: second?.id, reason: 'hash-mismatch', stored: second?.hash, expected: /^[0-9a-f]{64}$/ });
    t.not(broken?.['expected'], second?.hash);
    t.ok(report.chains.filter((c) => c.tenantId !== tenantId).every((c) => c.broken === null), 'other chains still pass');
    const human = await cliAs(deps, 'ops', 'audit', 'verify', '--tenant', tenantId);
    t.equal(human.code, 1);
    t.match(human.out.join('\n'), new RegExp(`${tenantId}  BROKEN at seq 2 \\(entry ${second?.id}\\): hash-mismatch; expected [0-9a-f]{64}, stored ${second?.hash}`));
    // Put it back: the chain passes again, so the edit alone was the break.
    await sql`update audit_entries set actor_id = 'alice' where tenant_id = ${tenantId} and seq = 2`.execute(db);
    t.equal((await cliAs(deps, 'ops', 'audit', 'verify', '--tenant', tenantId)).code, 0);
  });

  t.test('a deleted entry in the middle is named by the seq after the gap', async (t) => {
    const other = String((await cliAs(deps, 'alice', 'tenant', 'create', uniqueName('Gap'), '--json')).json()['id']);
    await cliAs(deps, 'alice', 'tenant', 'disable', other);
    await cliAs(deps, 'alice', 'tenant', 'enable', other);
    await sql`delete from audit_entries where tenant_id = ${other} and seq = 2`.execute(db);
    const run = await cliAs(deps, 'ops', 'audit', 'verify', '--tenant', other, '--json');
    t.equal(run.code, 1);
    t.match((run.json() as { chains: Array<{ broken: unknown }> }).chains[0]?.broken, { seq: 3, reason: 'seq-gap' });
  });

  t.test('after a purge of the oldest entries that records itself, verify starts from the oldest remaining one', async (t) => {
    const chain = String((await cliAs(deps, 'alice', 'tenant', 'create', uniqueName('Purged'), '--json')).json()['id']);
    for (const action of ['disable', 'enable', 'disable']) await cliAs(deps, 'alice', 'tenant', action, chain);
    const entries = await chainOf(db, chain);
    const last = entries[1];
    // What the audit purge does (chain.ts): delete a prefix and append the purge record in one transaction.
    await db.transaction().execute(async (trx) => {
      await sql`delete from audit_entries where tenant_id = ${chain} and seq <= 2`.execute(trx);
      const detail: PurgeDetail = { purgedThroughSeq: 2, purgedThroughHash: last?.hash ?? '', purged: 2 };
      await appendAuditEntry(trx, { tenantId: chain, actor: { type: 'system', id: 'audit.purge' }, action: AUDIT_PURGE_ACTION, outcome: 'success', detail });
    });
    const ok = await cliAs(deps, 'ops', 'audit', 'verify', '--tenant', chain, '--json');
    t.equal(ok.code, 0);
    t.match((ok.json() as { chains: unknown[] }).chains[0], { firstSeq: 3, entries: 3, broken: null });
    // The oldest remaining entry deleted by hand, without a purge record for it: a break.
    await sql`delete from audit_entries where tenant_id = ${chain} and seq = 3`.execute(db);
    const run = await cliAs(deps, 'ops', 'audit', 'verify', '--tenant', chain, '--json');
    t.equal(run.code, 1);
    t.match((run.json() as { chains: Array<{ broken: unknown }> }).chains[0]?.broken, { seq: 4, reason: 'missing-start' });
  });

  t.test('an unknown tenant name is a failure with exit 1', async (t) => {
    const run = await cliAs(deps, 'ops', 'audit', 'verify', '--tenant', 'no-such-tenant-name');
    t.equal(run.code, 1);
  });
});

t.test('the provisioning-log purge records, per tenant and in one transaction with each batch, what it deleted', async (t) => {
  const testApp = await buildTestApp(t);
  testApp.clock.set('2026-06-01T00:00:00Z');
  const db = testApp.deps.database.db;
  const tenant = await createTestTenant(testApp);
  const now = testApp.clock.now().getTime();
  for (const days of [120, 100, 91, 1]) await seedEntry(db, tenant.tenantId, { occurredAt: new Date(now - days * DAY) });
  const result = await purgeExpiredEntries(purgeDepsOf(testApp.deps), { batchSize: 2 });
  t.equal(result.byTenant[tenant.tenantId], 3);
  const purges = (await chainOf(db, tenant.tenantId)).filter((e) => e.action === 'provisioning_log.purge');
  t.match(purges, [
    { actor: { type: 'system', id: PURGE_JOB }, target: { type: 'table', id: 'provisioning_log' }, detail: { cutoff: '2026-03-03T00:00:00.000Z', deleted: 2, batch: 1 } },
    { detail: { deleted: 1, batch: 2 } },
  ]);
  t.equal(purges.length, 2);
  t.match((await chainOf(db, SERVICE_WIDE)).filter((e) => e.action === 'provisioning_log.purge').at(-1), {
    actor: { type: 'system', id: PURGE_JOB },
    target: { id: 'account_former_names' },
    detail: { provisioningLogDeleted: 3 },
  });
  // Through the CLI the purge names the OS user instead of the job.
  await seedEntry(db, tenant.tenantId, { occurredAt: new Date(now - 95 * DAY) });
  t.equal((await cliAs(testApp.deps, 'carol', 'logs', 'purge')).code, 0);
  t.match((await chainOf(db, tenant.tenantId)).at(-1), { action: 'provisioning_log.purge', actor: { type: 'cli', id: 'carol' }, detail: { deleted: 1 } });
});
