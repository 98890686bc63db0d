/**
 * `npm run chaos`: faults and hostile input against real service processes, bounded to a few minutes.
 * Prints the figures and exits non-zero on any finding. FUZZ_SEED and FUZZ_REQUESTS reproduce or resize the
 * fuzz run; CHAOS_DATABASE_URL names the PostgreSQL for the fuzz and kill runs (a schema of their own; the
 * database-outage run uses a private cluster it initdbs on CHAOS_PG_PORT, never the shared server).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { startService } from '../helpers/process.js';
import { databaseOutage, killReplica } from './database-faults.js';
import { BLOCK_LIMIT_MS, HEALTHZ_LIMIT_MS, runFuzz } from './fuzz.js';
import { startPrivatePostgres } from './private-postgres.js';
import { chaosDatabase, provisionTenant } from './setup.js';

const env = process.env;
const sharedUrl = env['CHAOS_DATABASE_URL'] ?? env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const seed = Number(env['FUZZ_SEED'] ?? 20261123);
const requests = Number(env['FUZZ_REQUESTS'] ?? 10_000);
const only = (env['CHAOS_ONLY'] ?? 'fuzz,outage,kill').split(',');
const log = (line: string) => process.stdout.write(`${line}\n`);
const findings: string[] = [];
const started = Date.now();

async function fuzzPhase(): Promise<void> {
  log(`== hostile-input fuzz: ${requests} generated requests, seed ${seed}`);
  const db = await chaosDatabase(sharedUrl, 'fuzz');
  const requestTimeoutMs = 3000;
  // Configured as production is: ENCRYPTION_KEY set (without it N-central connections are refused with 503).
  // The CLI must hold the same key as the service: the database records the fingerprint of the key that sealed it.
  const keyed = { ...db.env, ENCRYPTION_KEY: randomBytes(32).toString('hex') };
  const service = await startService({ ...keyed, REQUEST_TIMEOUT_MS: String(requestTimeoutMs), TOKEN_RATE_LIMIT_PER_ADDRESS: '1000000', TOKEN_FAILURE_LIMIT_PER_CLIENT_ADDRESS: '1000000' });
  try {
    const { tenantId, scimToken, adminToken } = await provisionTenant(keyed, 'fuzz');
    const userName = `seed-${randomUUID().slice(0, 8)}@example.test`;
    const created = await fetch(service.url('/scim/v2/Users'), {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, name: { givenName: 'Seed', familyName: 'User' } }),
    });
    const userId = ((await created.json()) as { id: string }).id;
    const report = await runFuzz({ service, db, ctx: { scimToken, adminToken, tenantId, userId, userName }, seed, requests, requestTimeoutMs, bodyLimitBytes: 1024 * 1024, log });
    log(`  requests fuzzed: ${report.requests} (${JSON.stringify(report.byFamily)}; transport ${JSON.stringify(report.transport)})`);
    log(`  statuses: ${JSON.stringify(report.byStatus)}`);
    log(`  requests sent: ${report.requests}; 5xx seen: ${report.fiveHundreds}`);
    log(`  longest event-loop block: ${report.longestEventLoopBlockMs} ms (${report.eventLoopScrapes} readings); slowest /healthz: ${report.slowestHealthzMs} ms (${report.healthzProbes} probes); limits: block ${BLOCK_LIMIT_MS} ms, /healthz ${HEALTHZ_LIMIT_MS} ms`);
    log(`  slowest requests: ${report.slowestRequests.join(' | ')}`);
    log(`  RSS before ${report.rssBeforeMb} MB, after ${report.rssAfterMb} MB, peak ${report.peakRssMb} MB; heap used ${report.heapBeforeMb} → ${report.heapAfterMb} MB`);
    log(`  slowest slow-body cut: ${report.slowestSlowBodyMs} ms (REQUEST_TIMEOUT_MS ${requestTimeoutMs})`);
    log(`  database unchanged by rejected requests: ${report.databaseUnchanged}; ${report.durationMs} ms`);
    findings.push(...report.findings.map((f) => `fuzz: ${f}`));
  } finally {
    // A service whose event loop is blocked cannot run its SIGTERM handler: give it 20 s, then SIGKILL.
    const stopped = await Promise.race([service.stop(), new Promise<'late'>((r) => setTimeout(() => r('late'), 20_000).unref())]);
    if (stopped === 'late') {
      findings.push('fuzz: the service did not stop within 20 s of SIGTERM (its event loop was blocked)');
      await service.stop('SIGKILL');
    }
    await db.drop().catch(() => undefined);
  }
}

async function outagePhase(): Promise<void> {
  log('== PostgreSQL stopped during load (private cluster)');
  const port = Number(env['CHAOS_PG_PORT'] ?? 55432 + (process.pid % 1000));
  const server = startPrivatePostgres(port);
  try {
    const r = await databaseOutage(server, log);
    log(`  requests ${r.requests}; writes acknowledged ${r.acknowledged}, found after the restart ${r.found}; committed but unacknowledged (complete) ${r.extraCommitted}`);
    log(`  503 SCIM Errors during the outage ${r.fiveOhThrees}, slowest failure ${r.slowestFailureMs} ms; /readyz during the outage ${r.readyzDuringOutage}; ready again ${r.recoveredAfterMs} ms after PostgreSQL started`);
    findings.push(...r.findings.map((f) => `outage: ${f}`));
  } finally {
    server.destroy();
  }
}

async function killPhase(): Promise<void> {
  log('== kill -9 a replica mid-write');
  const r = await killReplica(sharedUrl, log);
  log(`  requests ${r.requests}; writes acknowledged ${r.acknowledged}, found ${r.found}; committed but unacknowledged (complete) ${r.extraCommitted}`);
  findings.push(...r.findings.map((f) => `kill -9: ${f}`));
}

const phases: Record<string, () => Promise<void>> = { fuzz: fuzzPhase, outage: outagePhase, kill: killPhase };
for (const name of only) {
  const phase = phases[name.trim()];
  if (!phase) continue;
  try {
    await phase();
  } catch (err) {
    findings.push(`${name}: the run itself failed: ${(err as Error).stack ?? String(err)}`);
  }
}
log(`\nchaos: ${findings.length} finding(s) in ${Math.round((Date.now() - started) / 1000)} s`);
for (const f of findings) log(`  FINDING ${f}`);
process.exit(findings.length > 0 ? 1 : 0);
