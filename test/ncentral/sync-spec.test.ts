/**
 * Sync runs against the spec-following fake (issue 20 items 5 and 6, issue 15 item 4): what a run records when
 * devices are gone in each of the ways N-central answers, when a read cap stops it, and that it ends its session.
 */
import t, { type Test } from 'tap';
import { listAssets } from '../../src/store/assets.js';
import type { FakeNcentralOptions } from '../fakes/ncentral.js';
import { FAKE_ENV, fakeApp, type FakeApp } from './fake-app.js';
import { memoryHarness, testActor } from './harness.js';
import { smallEstate } from './memory-source.js';
import type { ClientTuning } from '../../src/ncentral/connector.js';

type Json = Record<string, unknown>;

const call = async (a: FakeApp, method: 'GET' | 'POST', url: string) => {
  const res = await a.app.inject({ method, url: `/admin/v1/ncentral${url}`, headers: a.headers });
  return res.json() as Json;
};

async function finished(t: Test, options: Partial<FakeNcentralOptions> = {}, tuning: ClientTuning = {}): Promise<FakeApp> {
  const a = await fakeApp(t, options, FAKE_ENV, tuning);
  await a.connect();
  t.equal((await call(a, 'POST', '/verify'))['ok'], true);
  await call(a, 'POST', '/create-unmatched');
  t.equal((await call(a, 'POST', '/finish?wait=true'))['status'], 'succeeded');
  return a;
}

for (const [goneDevices, answer] of [
  ['notFound', 'notFound'],
  ['deletedFlag', 'deleted'],
  ['unauthorized', 'noPermission'],
  ['forbidden', 'noPermission'],
] as const) {
  t.test(`a device N-central answers for with "${goneDevices}" is removed, and the run records that answer`, async (t) => {
    const a = await finished(t, { goneDevices });
    const gone = a.fake.estate.listDevices()[2];
    a.fake.estate.deleteDevice(gone?.deviceId ?? 0);
    const run = await call(a, 'POST', '/sync?wait=true');
    t.equal(run['status'], 'succeeded');
    t.equal(run['removed'], 1);
    t.same(run['removalAnswers'], { [answer]: 1 });
    const asset = (await listAssets(a.deps.database.db, a.tenantId)).find((x) => x.external_id === String(gone?.deviceId));
    t.ok(asset?.removed_at, 'its asset is marked removed');
    const row = await a.deps.database.db
      .selectFrom('ncentral_devices')
      .select('removed_because')
      .where('tenant_id', '=', a.tenantId)
      .where('device_id', '=', String(gone?.deviceId))
      .executeTakeFirst();
    t.equal(row?.removed_because, answer);
  });
}

t.test('a device whose lookup fails is kept, the run still succeeds, and the answer is recorded as unanswered', async (t) => {
  const h = await memoryHarness(smallEstate());
  await h.service.createUnmatched(h.tenantId, testActor);
  await h.service.finish(h.tenantId, testActor, { wait: true });
  h.source.estate.devices = h.source.estate.devices.filter((d) => d.deviceId !== '2002');
  h.source.goneAnswers.set('2002', 'error');
  const run = await h.service.sync(h.tenantId, 'manual', { actor: testActor, wait: true });
  t.equal(run.status, 'succeeded');
  t.equal(run.removed, 0);
  t.same(run.removal_answers, { unanswered: 1 });
  t.equal((await listAssets(h.db, h.tenantId)).find((a) => a.external_id === '2002')?.removed_at, null);
});

t.test('every verify and every run ends its N-central session with a logout', async (t) => {
  const a = await finished(t);
  await call(a, 'POST', '/sync?wait=true');
  const count = (template: string) => a.fake.requests.filter((r) => r.template === template && r.status === 200).length;
  t.ok(count('/api/auth/logout') >= 3, 'verify, finish and sync each logged out');
  t.equal(count('/api/auth/logout'), count('/api/auth/authenticate'), 'every session opened was ended');
  t.equal(a.fake.openSessions(), 0, 'no session is left open on the server');
});

t.test('a run that hits a read cap fails with errorCode serverMisbehaved and removes nothing', async (t) => {
  const capped = await fakeApp(t, {}, FAKE_ENV, { limits: { maxPagesPerListing: 2 } });
  await capped.connect();
  await call(capped, 'POST', '/verify');
  await call(capped, 'POST', '/create-unmatched');
  const run = await call(capped, 'POST', '/finish?wait=true');
  t.equal(run['status'], 'failed');
  t.equal(run['errorCode'], 'serverMisbehaved');
  t.match(run['error'], /more pages past 2/);
  t.equal(run['removed'], 0);
  const runs = (await call(capped, 'GET', '/runs')) as { items?: Json[] };
  t.equal(runs.items?.[0]?.['errorCode'], 'serverMisbehaved', 'the failure is recorded with the run');
});
