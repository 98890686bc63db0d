import { get, type IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { createTestAdmin } from '../helpers/admin.js';
import { seedMany } from '../helpers/provisioning-log.js';
import { createTestTenant } from '../helpers/tenants.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// Seeding and streaming 100,000 rows through the embedded PGlite takes minutes on a busy 2-core machine.
t.setTimeout(600_000);

const COUNT = 100_000;
const MB = 1024 * 1024;

/** Heap still in use after a full collection: what the process is holding, not garbage waiting to go. */
function retainedHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

t.test('exporting 100,000 entries streams them with memory that does not grow with the count', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, tenant.tenantId);
  await seedMany(testApp.deps.database.db, tenant.tenantId, COUNT);
  await testApp.app.listen({ port: 0, host: '127.0.0.1' });
  const address = testApp.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const baseline = retainedHeap();
  const rssBefore = process.memoryUsage().rss;
  const growth: Array<{ lines: number; heapMb: number }> = [];
  let lines = 0;
  let bytes = 0;
  let firstLine = '';
  await new Promise<void>((resolve, reject) => {
    get(
      { host: '127.0.0.1', port, path: '/admin/v1/provisioning-logs/export?format=ndjson', headers: admin.headers },
      (res: IncomingMessage) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        let nextCheckpoint = 10_000;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
          if (!firstLine) firstLine = chunk.toString('utf8').split('\n')[0] ?? '';
          if (lines >= nextCheckpoint) {
            growth.push({ lines, heapMb: (retainedHeap() - baseline) / MB });
            nextCheckpoint += 30_000;
          }
        });
        res.on('end', resolve);
        res.on('error', reject);
      },
    ).on('error', reject);
  });
  const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / MB;

  t.equal(lines, COUNT, 'every entry was exported');
  t.match(JSON.parse(firstLine), { operation: 'Create', target: { userName: 'user1@contoso.com' } }, 'oldest first');
  const payloadMb = bytes / MB;
  t.comment(`exported ${COUNT} entries, ${payloadMb.toFixed(1)} MB; retained heap growth by lines read: ${growth.map((g) => `${g.lines}: ${g.heapMb.toFixed(1)} MB`).join(', ')}; RSS growth ${rssGrowthMb.toFixed(1)} MB`);
  t.ok(growth.length >= 3, 'memory was sampled during the stream');
  // Holding every entry would retain more than the payload itself (tens of MB); one batch is well under 10 MB.
  for (const g of growth) t.ok(g.heapMb < 10, `retained heap grew ${g.heapMb.toFixed(1)} MB after ${g.lines} lines`);
  const first = growth[0]?.heapMb ?? 0;
  const last = growth.at(-1)?.heapMb ?? 0;
  t.ok(last - first < 5, `retained heap does not grow with the count (${first.toFixed(1)} → ${last.toFixed(1)} MB)`);
  t.ok(payloadMb > 30, `the payload (${payloadMb.toFixed(1)} MB) dwarfs the bound`);
});
