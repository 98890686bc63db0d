import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { startControlServer } from './control/server.js';
import { createSetupService } from './console/setup-service.js';
import { createLogger } from './log.js';
import { createNcentralService } from './ncentral/service.js';
import { auditPurgeServiceOf, registerAuditPurgeJob } from './audit/purge-service.js';
import { accountRecountServiceOf, registerAccountRecountJob } from './scim/account-recount-service.js';
import { purgeDepsOf, registerPurgeJob } from './provisioning-log/service.js';
import { createDeps } from './runtime.js';
import { createScheduler } from './scheduler/index.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`portal-provisioning: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const deps = await createDeps(config, log, 'service');
  const ncentral = createNcentralService(deps);
  const app = await buildApp(deps, { ncentral });
  // Nightly N-central syncs (and other jobs): pg-boss on PostgreSQL, an in-process timer on PGlite.
  const scheduler = createScheduler(config, deps.database, deps);
  await scheduler.start();
  await ncentral.attachScheduler(scheduler);
  // Provisioning-log retention (RETENTION_DAYS): a daily purge in small batches.
  await registerPurgeJob(scheduler, purgeDepsOf(deps));
  // Audit-trail retention (AUDIT_RETENTION_DAYS): daily, each batch recorded in the chain it shortens.
  await registerAuditPurgeJob(scheduler, auditPurgeServiceOf(deps));
  // The unfiltered SCIM list's account counts (issue 14): hourly, repairing what writers that did not count left.
  await registerAccountRecountJob(scheduler, accountRecountServiceOf(deps));
  // Tenants finished on another replica are picked up here too.
  const rescan = setInterval(() => {
    ncentral.attachScheduler(scheduler).catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, 'scheduler rescan failed'));
  }, 5 * 60_000);
  rescan.unref();

  // On the embedded database this process holds DATA_DIR: CLI commands reach it over a socket there.
  const control = config.databaseUrl ? undefined : await startControlServer(deps, config.dataDir);

  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then close the database.
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    clearInterval(rescan);
    await control?.close();
    await scheduler.stop();
    await app.close();
    await deps.database.close();
  });

  // First run (issue 12): on a database with no tenant and no admin token, a one-time link into the console. Made
  // before listening so the link works as soon as it is read.
  const setupCode = await createSetupService(deps).offerIfUnset();
  await app.listen({ port: config.port, host: config.host });
  log.info({ port: config.port, scheme: config.tls ? 'https' : 'http', database: deps.database.kind, scheduler: scheduler.kind }, 'portal-provisioning is ready');
  if (setupCode) {
    const setupUrl = `${config.publicBaseUrl ?? listenBaseUrl(app)}/console/setup?code=${setupCode}`;
    // Warn level: the one line an operator must read, shown whatever LOG_LEVEL hides.
    log.warn({ setupUrl }, `setup link (one-time, valid 24 h): open ${setupUrl} to create the first tenant and admin`);
  }
}

/** Where this process listens, as a browser on this machine reaches it (a wildcard address becomes localhost). */
function listenBaseUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') return 'http://localhost';
  const host = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const scheme = app.initialConfig.https ? 'https' : 'http';
  return `${scheme}://${host}:${address.port}`;
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`portal-provisioning: cannot start: ${message}\n`);
  process.exit(1);
});
