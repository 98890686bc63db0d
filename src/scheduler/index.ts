import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { DatabaseKind } from '../store/database.js';
import { InProcessScheduler } from './in-process.js';
import { PgBossScheduler } from './pg-boss.js';
import type { Scheduler } from './scheduler.js';

export type { JobHandler, ScheduledJob, Scheduler } from './scheduler.js';

/** pg-boss on PostgreSQL (exactly once across replicas); an in-process timer on the embedded PGlite. */
export function createScheduler(config: Config, database: { kind: DatabaseKind }, deps: { clock: Clock; log: Logger }): Scheduler {
  if (database.kind === 'postgres' && config.databaseUrl) {
    return new PgBossScheduler({
      connectionString: config.databaseUrl,
      schema: config.databaseSchema ? `${config.databaseSchema}_pgboss` : 'pgboss',
      log: deps.log,
    });
  }
  return new InProcessScheduler(deps);
}
