/**
 * `npm run bench:sync`: the N-central sync against the fake with 1,000 customers, 2,000 sites and 100,000
 * devices, 5% of requests answered 429 or 503. Prints the initial sync time (clients created, every device's
 * assets call), the no-change re-sync time and this process's peak RSS (the fake runs in a child process).
 * Uses PostgreSQL when BENCH_DATABASE_URL, TEST_DATABASE_URL or DATABASE_URL is set (in a throw-away schema),
 * else the embedded PGlite in memory.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cliActor } from '../src/audit/request-actor.js';
import { systemClock } from '../src/clock.js';
import { createLogger } from '../src/log.js';
import { parseAllowedHosts, PUBLIC_ONLY } from '../src/ncentral/allowed-hosts.js';
import { restConnector } from '../src/ncentral/connector.js';
import { createNcentralService } from '../src/ncentral/service.js';
import { connectDatabase } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { insertTenant } from '../src/store/tenants.js';

const url = process.env['BENCH_DATABASE_URL'] || process.env['TEST_DATABASE_URL'] || process.env['DATABASE_URL'];

async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(sqlText);
  await client.end();
}

const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fake-ncentral-server.ts', import.meta.url))], {
  stdio: ['pipe', 'pipe', 'inherit'],
  env: process.env,
});
const first = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout }).once('line', resolve);
  child.once('exit', (code) => reject(new Error(`fake N-central exited (${code})`)));
});
const fake = JSON.parse(first) as { url: string; caPem: string; userApiToken: string };

const schema = url ? `bench_sync_${randomBytes(4).toString('hex')}` : undefined;
if (schema) await admin(`create schema ${schema}`);
const database = await connectDatabase({ databaseUrl: url, schema, poolMax: 5, statementTimeoutMs: 120_000 });
try {
  await migrateToLatest(database.db);
  const clock = systemClock;
  const log = createLogger('warn');
  // The fake listens on 127.0.0.1, which only an allow-list entry opens (NCENTRAL_ALLOWED_HOSTS).
  const loopback = parseAllowedHosts('127.0.0.1');
  const ncentralAllowedHosts = loopback.ok ? loopback.value : PUBLIC_ONLY;
  const service = createNcentralService({ database, clock, log, config: { encryptionKey: randomBytes(32), ncentralAllowedHosts } }, restConnector({ allowedHosts: ncentralAllowedHosts }));
  const actor = cliActor('bench');
  const tenant = await insertTenant(database.db, { id: randomUUID(), name: 'bench', createdAt: clock.now() });
  await service.connect(tenant.id, { url: fake.url, token: fake.userApiToken, caPem: fake.caPem, assetsUnderParent: false }, actor);
  const report = await service.verify(tenant.id, actor);
  if (!report.ok) throw new Error(`verify failed: ${report.problems.map((p) => p.message).join('; ')}`);
  await service.createUnmatched(tenant.id, actor);

  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const initial = await service.finish(tenant.id, actor, { wait: true });
  const initialS = (performance.now() - t0) / 1000;
  const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
  const initialCpu = cpuSeconds(process.cpuUsage(cpu0));
  cpu0 = process.cpuUsage();
  t0 = performance.now();
  const again = await service.sync(tenant.id, 'manual', { actor, wait: true });
  const resyncS = (performance.now() - t0) / 1000;
  const resyncCpu = cpuSeconds(process.cpuUsage(cpu0));
  const peakMb = process.resourceUsage().maxRSS / 1024;

  const line = (label: string, value: string, target: string) => console.log(`${label.padEnd(34)} ${value.padStart(10)}   (target ${target})`);
  console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`);
  console.log(`N-central sync benchmark — ${database.kind}, ${report.customers} customers, ${report.devices} devices, 5% 429/503`);
  line('initial sync incl. assets calls', `${initialS.toFixed(1)} s`, '≤ 120 s');
  line('no-change re-sync', `${resyncS.toFixed(1)} s`, '≤ 20 s');
  // CPU seconds of the sync process alone: comparable across machines and loads, unlike wall time.
  line('  sync process CPU, initial', `${initialCpu.toFixed(1)} s`, 'info');
  line('  sync process CPU, re-sync', `${resyncCpu.toFixed(1)} s`, 'info');
  line('peak RSS (sync process)', `${peakMb.toFixed(0)} MB`, '≤ 300 MB');
  console.log(
    `initial: ${initial.status}, created ${initial.created}, linked ${initial.linked}, clients ${initial.clients_created}, skipped ${initial.skipped}, pages ${initial.pages}, retries ${initial.retries}${initial.error ? `, error ${initial.error}` : ''}`,
  );
  console.log(`re-sync: ${again.status}, unchanged ${again.unchanged}, created ${again.created}, updated ${again.updated}, removed ${again.removed}, retries ${again.retries}`);
} finally {
  await database.close();
  if (schema) await admin(`drop schema if exists ${schema} cascade`);
  child.stdin?.end();
  child.kill();
}
