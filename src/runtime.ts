import type { Logger } from 'pino';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Deps } from './deps.js';
import { createMetrics } from './metrics.js';
import { establishSealingKey } from './crypto/sealing-key-service.js';
import { connectDatabase } from './store/connect.js';
import { liveLockHolder, type LockHolderRole } from './store/embedded.js';
import { migrateToLatest } from './store/migrate.js';

/** Opens the database the config names (PostgreSQL, else PGlite in DATA_DIR) and brings its schema up to date. */
export async function createDeps(config: Config, log: Logger, holderRole: LockHolderRole = 'cli'): Promise<Deps> {
  const database = await connectDatabase({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    poolMax: config.databasePoolMax,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    preparedStatements: config.databasePreparedStatements,
    dataDir: config.dataDir,
    holderRole,
    onPoolError: (err) => log.warn({ err: { message: err.message } }, 'database connection lost'),
  });
  let encryptionKey: Buffer;
  try {
    const result = await migrateToLatest(database.db);
    for (const r of result.results ?? []) log.info({ migration: r.migrationName, status: r.status }, 'migration');
    // Issue 12: secrets are always sealed. With ENCRYPTION_KEY unset the key comes from (or is generated into) the
    // key file; a key that does not match what sealed the stored secrets stops the start here, not at first use.
    encryptionKey = await establishSealingKey({ db: database.db, clock: systemClock, log, config });
  } catch (err) {
    await database.close();
    throw err;
  }
  return { config: { ...config, encryptionKey }, database, clock: systemClock, log, metrics: createMetrics(database) };
}

/** The live process holding the embedded DATA_DIR, if any; never one on PostgreSQL, where processes share. */
export function dataDirHolder(config: Pick<Config, 'databaseUrl' | 'dataDir'>): { pid: number; role: LockHolderRole } | undefined {
  if (config.databaseUrl || !config.dataDir) return undefined;
  return liveLockHolder(config.dataDir);
}
