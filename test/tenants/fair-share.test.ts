import t from 'tap';
import { TenantFairShare, type Admission } from '../../src/tenants/fair-share.js';

const START = 1_000_000;
const admitted = (a: Admission): (() => void) => {
  if (!a.admitted) throw new Error(`refused: ${a.reason}`);
  return a.release;
};

t.test('a tenant gets its burst at once, then 429s with a Retry-After until the bucket refills', async (t) => {
  const share = new TenantFairShare({ maxConcurrent: 100, perSecond: 2, burst: 3 });
  for (let i = 0; i < 3; i++) admitted(share.admit('a', START))();
  const refused = share.admit('a', START);
  t.same(refused, { admitted: false, reason: 'rate', retryAfterSeconds: 1 });
  // Half a second at 2 per second is one request more, and no more than one.
  admitted(share.admit('a', START + 500))();
  t.equal(share.admit('a', START + 500).admitted, false);
});

t.test('Retry-After says how long until one request fits at a slow rate', async (t) => {
  const share = new TenantFairShare({ maxConcurrent: 100, perSecond: 1, burst: 1 });
  admitted(share.admit('a', START))();
  t.same(share.admit('a', START), { admitted: false, reason: 'rate', retryAfterSeconds: 1 });
  const slow = new TenantFairShare({ maxConcurrent: 100, perSecond: 1, burst: 5 });
  for (let i = 0; i < 5; i++) admitted(slow.admit('a', START))();
  const refused = slow.admit('a', START + 200);
  t.equal(refused.admitted, false);
  t.equal(!refused.admitted && refused.retryAfterSeconds, 1);
});

t.test('the bucket never holds more than its burst however long the tenant was idle', async (t) => {
  const share = new TenantFairShare({ maxConcurrent: 100, perSecond: 10, burst: 2 });
  admitted(share.admit('a', START))();
  const later = START + 3_600_000;
  admitted(share.admit('a', later))();
  admitted(share.admit('a', later))();
  t.equal(share.admit('a', later).admitted, false);
});

t.test('a clock stepping back adds no tokens', async (t) => {
  const share = new TenantFairShare({ maxConcurrent: 100, perSecond: 1, burst: 1 });
  admitted(share.admit('a', START))();
  t.equal(share.admit('a', START - 10_000).admitted, false);
  t.equal(share.admit('a', START + 500).admitted, false);
  t.equal(share.admit('a', START + 1000).admitted, true);
});

t.test('at most maxConcurrent requests of a tenant are in flight; a release frees a slot', async (t) => {
  const share = new TenantFairShare({ maxConcurrent: 2, perSecond: 1000, burst: 1000 });
  const first = admitted(share.admit('a', START));
  admitted(share.admit('a', START));
  t.same(share.admit('a', START), { admitted: false, reason: 'concurrency', retryAfterSeconds: 1 });
  first();
  first(); // a second release of the same request frees nothing more
  admitted(share.admit('a', START));
  t.equal(share.admit('a', START).admitted, false);
});

t.test("one tenant's flood leaves another tenant's share untouched", async (t) => {
  const share = new TenantFairShare({ maxConcurrent: 2, perSecond: 1, burst: 3 });
  admitted(share.admit('a', START));
  admitted(share.admit('a', START));
  t.equal(share.admit('a', START).admitted, false);
  for (let i = 0; i < 2; i++) admitted(share.admit('b', START));
  t.equal(share.admit('b', START).admitted, false, "b is held to its own share, not a's");
});

t.test('memory stays bounded when keys rotate: idle tenants are forgotten', async (t) => {
  const share = new TenantFairShare({ maxConcurrent: 4, perSecond: 10, burst: 10 }, 100);
  for (let i = 0; i < 10_000; i++) admitted(share.admit(`tenant-${i}`, START + i))();
  t.ok(share.trackedCount <= 100, `tracked ${share.trackedCount}`);
});

t.test('a tenant with requests in flight is never forgotten, so its slots stay counted', async (t) => {
  const share = new TenantFairShare({ maxConcurrent: 1, perSecond: 10, burst: 10 }, 10);
  admitted(share.admit('busy', START));
  for (let i = 0; i < 1000; i++) admitted(share.admit(`idle-${i}`, START))();
  t.same(share.admit('busy', START), { admitted: false, reason: 'concurrency', retryAfterSeconds: 1 });
  t.ok(share.trackedCount <= 11, `tracked ${share.trackedCount}`);
});
