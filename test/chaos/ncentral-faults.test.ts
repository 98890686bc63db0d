import t from 'tap';
import { listAssets } from '../../src/store/assets.js';
import { fakeApp, type FakeApp } from '../ncentral/fake-app.js';

type Json = Record<string, unknown>;

const call = async (a: FakeApp, method: 'GET' | 'POST', url: string): Promise<Json> =>
  (await a.app.inject({ method, url: `/admin/v1/ncentral${url}`, headers: a.headers })).json() as Json;

/**
 * N-central misbehaving all at once during a sync (slow answers, 429s, 503s, dropped connections): the run ends
 * cleanly — succeeded after retries, or failed with its error recorded — and the next run completes the work
 * with nothing duplicated.
 */
t.test('a sync against a slow, erroring, connection-dropping N-central ends cleanly and the next run completes', async (t) => {
  const a = await fakeApp(t);
  await a.connect();
  t.equal((await call(a, 'POST', '/verify'))['ok'], true, 'verify succeeds');
  await call(a, 'POST', '/create-unmatched');
  a.fake.options.faults = { latencyMs: 150, rate429: 0.15, rate503: 0.15, dropRate: 0.15 };
  const hostile = await call(a, 'POST', '/finish?wait=true');
  a.fake.options.faults = {};
  t.ok(['succeeded', 'failed'].includes(String(hostile['status'])), `the run ended: ${String(hostile['status'])}`);
  t.ok(hostile['endedAt'], 'with an end time');
  if (hostile['status'] === 'failed') t.ok(hostile['error'], `and its error recorded: ${String(hostile['error'])}`);
  else t.ok(Number(hostile['retries']) > 0, `after retries: ${String(hostile['retries'])}`);

  const next = await call(a, 'POST', '/sync?wait=true');
  t.equal(next['status'], 'succeeded', 'the next run completes');
  const assets = await listAssets(a.deps.database.db, a.tenantId);
  const devices = a.fake.estate.listDevices();
  t.equal(assets.length, devices.length, 'every device is an asset');
  t.equal(new Set(assets.map((x) => x.external_id)).size, assets.length, 'nothing duplicated');
  const runs = (await call(a, 'GET', '/runs'))['items'] as Json[];
  t.notOk(runs.some((r) => r['status'] === 'running'), 'no run left running');
});
