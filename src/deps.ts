import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Metrics } from './metrics.js';
import type { Database } from './store/database.js';

/** What the server, the CLI and the scheduler share; built once in main.ts (or by a test) and passed down. */
export interface Deps {
  config: Config;
  database: Database;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
}
