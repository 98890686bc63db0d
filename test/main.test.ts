import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openEmbedded } from '../src/store/embedded.js';
import { insertTenant, listTenants } from '../src/store/tenants.js';
import { schemaBehindProxy, testDatabaseUrl } from './helpers/database.js';
import { printed, startService, waitFor } from './helpers/process.js';

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-main-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('with no database configured the service serves /healthz and /readyz on PGlite in DATA_DIR and keeps its data', async (t) => {
  const dataDir = tempDir();
  const first = await startService({ DATA_DIR: dataDir });
  t.equal((await fetch(first.url('/healthz'))).status, 200);
  const ready = await fetch(first.url('/readyz'));
  t.equal(ready.status, 200);
  t.equal(((await ready.json()) as { database: string }).database, 'pglite');
  t.equal(await first.stop(), 0, 'exits 0 on SIGTERM');

  const db = await openEmbedded(dataDir);
  await insertTenant(db.db, { id: '00000000-0000-4000-8000-000000000001', name: 'Contoso', createdAt: new Date() });
  await db.close();

  const second = await startService({ DATA_DIR: dataDir });
  t.equal((await fetch(second.url('/readyz'))).status, 200);
  t.equal(await second.stop(), 0);

  const again = await openEmbedded(dataDir);
  t.same((await listTenants(again.db)).map((x) => x.name), ['Contoso'], 'the data survived two restarts');
  await again.close();
});

t.test('a second process on the same DATA_DIR is refused with a clear message', async (t) => {
  const dataDir = tempDir();
  const first = await startService({ DATA_DIR: dataDir });
  const second = await startService({ DATA_DIR: dataDir }, { waitReady: false });
  t.not(await second.exited, 0);
  t.match(second.stderr(), /in use by another process/);
  t.equal((await fetch(first.url('/readyz'))).status, 200, 'the first keeps running');
  await first.stop();
});

t.test('PORT=abc exits non-zero with one line naming PORT', async (t) => {
  const service = await startService({ PORT: 'abc', DATA_DIR: tempDir() }, { waitReady: false });
  t.not(await service.exited, 0);
  const lines = service.stderr().trim().split('\n');
  t.equal(lines.length, 1);
  t.match(lines[0], /PORT/);
});

const pgUrl = testDatabaseUrl();

/** The service on a schema of its own, reaching PostgreSQL through a proxy the test can slow or cut. */
async function serviceBehindProxy(t: { teardown(fn: () => unknown): void }, env: Record<string, string> = {}) {
  const { proxy, url, schema } = await schemaBehindProxy(t, pgUrl ?? '', 'test_main');
  const service = await startService({ DATABASE_URL: url, DATABASE_SCHEMA: schema, ...env });
  return { proxy, service };
}

t.test('on PostgreSQL /readyz follows the database: 503 while it is gone, 200 again when it returns', { skip: pgUrl ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const { proxy, service } = await serviceBehindProxy(t, { DATABASE_CONNECT_TIMEOUT_MS: '1000' });
  t.teardown(() => service.stop());
  t.equal((await fetch(service.url('/readyz'))).status, 200, 'migrated and ready');

  proxy.cut();
  const started = Date.now();
  t.equal((await fetch(service.url('/readyz'))).status, 503);
  t.ok(Date.now() - started < 5000, 'answers quickly while the database is gone');
  const alive = await fetch(service.url('/healthz')).then((r) => r.status, (err: Error) => err.message);
  t.equal(alive, 200, 'the process stays up', { exitCode: service.child.exitCode, printed: printed(service) });

  proxy.restore();
  await waitFor(service, '/readyz', 10_000);
  t.pass('ready again once the database returned');
});

t.test('SIGTERM during a slow request lets it finish, then exits 0', { skip: pgUrl ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const { proxy, service } = await serviceBehindProxy(t);

  // A slow database makes /readyz a slow request (the ping takes ~800 ms).
  proxy.setDelay(400);
  const slow = new Promise<number>((resolve, reject) => {
    request(service.url('/readyz'), (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
  await new Promise((r) => setTimeout(r, 150));
  service.child.kill('SIGTERM');
  t.equal(await slow, 200, 'the in-flight request completed');
  t.equal(await service.exited, 0, 'then the process exited 0');
});
