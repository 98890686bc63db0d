import { randomUUID } from 'node:crypto';
import t from 'tap';
import { nightlyCron, parseSyncTime } from '../../src/ncentral/schedule.js';
import { PUBLIC_ONLY } from '../../src/ncentral/allowed-hosts.js';
import { NcentralService } from '../../src/ncentral/service.js';
import { InProcessScheduler } from '../../src/scheduler/in-process.js';
import { PgBossScheduler } from '../../src/scheduler/pg-boss.js';
import { createLogger } from '../../src/log.js';
import { connectDatabase } from '../../src/store/connect.js';
import { adminQuery, sharedTestDatabase } from '../helpers/database.js';
import { testClock } from '../helpers/clock.js';
import { memoryHarness, testActor } from './harness.js';
import { smallEstate } from './memory-source.js';

t.test('the sync time becomes a daily cron expression', async (t) => {
  t.equal(nightlyCron('20:00'), '0 20 * * *');
  t.equal(nightlyCron('07:05'), '5 7 * * *');
  t.equal(parseSyncTime('24:00'), null);
  t.throws(() => nightlyCron('8pm'));
});

t.test('the in-process scheduler fires 20:00 in the tenant\'s time zone', async (t) => {
  const clock = testClock('2026-01-15T10:00:00.000Z');
  const scheduler = new InProcessScheduler({ clock, log: createLogger('silent') });
  await scheduler.register('ncentral-sync.x', nightlyCron('20:00'), 'Europe/Berlin', async () => undefined);
  t.equal(scheduler.nextFiring('ncentral-sync.x')?.toISOString(), '2026-01-15T19:00:00.000Z');
  await scheduler.register('ncentral-sync.y', nightlyCron('20:00'), 'America/New_York', async () => undefined);
  t.equal(scheduler.nextFiring('ncentral-sync.y')?.toISOString(), '2026-01-16T01:00:00.000Z');
});

const pgUrl = process.env['TEST_DATABASE_URL'] || process.env['DATABASE_URL'];

t.test('with two instances on one PostgreSQL a scheduled run happens once', { skip: pgUrl ? false : 'needs PostgreSQL (pg-boss)' }, async (t) => {
  const h = await memoryHarness(smallEstate());
  await h.service.createUnmatched(h.tenantId, testActor);
  await h.service.finish(h.tenantId, testActor, { wait: true });
  // Nightly time = this very minute in the tenant's zone (UTC here), so pg-boss's cron fires now.
  let now = new Date();
  if (now.getUTCSeconds() > 40) {
    await new Promise((r) => setTimeout(r, (61 - now.getUTCSeconds()) * 1000));
    now = new Date();
  }
  const hhmm = `${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')}`;
  await h.service.setOptions(h.tenantId, { syncTime: hhmm }, testActor);

  // A second connection pool on the same schema stands for the second replica.
  const shared = await sharedTestDatabase();
  const second = await connectDatabase({ databaseUrl: pgUrl as string, schema: shared.schema, poolMax: 3 });
  t.teardown(() => second.close());
  const schema = `boss_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  t.teardown(() => adminQuery(pgUrl as string, `drop schema if exists ${schema} cascade`));
  const fires: string[] = [];
  const instances = [h.db, second.db].map((db, i) => {
    const service = new NcentralService({ db, clock: { now: () => new Date() }, log: createLogger('silent'), encryptionKey: (h.service as unknown as { deps: { encryptionKey: Buffer } }).deps.encryptionKey, connector: { open: () => h.source, verify: async () => ({ ok: true, ncentralVersion: null, customers: 0, devices: 0, problems: [] }) }, allowedHosts: PUBLIC_ONLY });
    const scheduler = new PgBossScheduler({ connectionString: pgUrl as string, schema, log: createLogger('silent'), pollSeconds: 1 });
    const wrapped = {
      register: (name: string, cron: string, tz: string, handler: (job: { id: string }) => Promise<void>) =>
        scheduler.register(name, cron, tz, async (job) => {
          fires.push(`${i}:${job.id}`);
          await handler(job);
        }),
    };
    return { service, scheduler, wrapped };
  });
  t.teardown(async () => {
    for (const i of instances) await i.scheduler.stop();
  });
  await Promise.all(instances.map((i) => i.service.attachScheduler(i.wrapped)));

  const deadline = Date.now() + 20_000;
  let scheduled = 0;
  while (Date.now() < deadline) {
    const runs = await h.service.runs(h.tenantId);
    scheduled = runs.filter((r) => r.trigger === 'scheduled' && r.status !== 'running').length;
    if (scheduled > 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  t.equal(scheduled, 1, 'the nightly run fired');
  // Give the other instance every chance (several cron and polling rounds) to fire a second time.
  await new Promise((r) => setTimeout(r, 5000));
  const runs = await h.service.runs(h.tenantId);
  t.equal(runs.filter((r) => r.trigger === 'scheduled').length, 1);
  t.equal(fires.length, 1, `fired: ${fires.join(', ')}`);
});
