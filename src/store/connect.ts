import { Kysely, sql } from 'kysely';
import pg from 'pg';
import type { DB } from './tables.js';
import { CurrentSchemaPostgresDialect } from './current-schema-introspector.js';
import { withTimeout, type Database } from './database.js';
import { openEmbedded, type LockHolderRole } from './embedded.js';
import { prepareMarkedStatements } from './prepared-statements.js';

export interface ConnectOptions {
  databaseUrl?: string | undefined;
  /** Postgres schema to put first on the search_path (tests use one per file). */
  schema?: string | undefined;
  poolMax?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Send statements marked `prepared` as named statements (default true); see prepared-statements.ts. */
  preparedStatements?: boolean;
  /** PGlite data folder; undefined means in memory. */
  dataDir?: string | undefined;
  /** Recorded in DATA_DIR's lock: 'service' tells a CLI it may hand its command to this process. */
  holderRole?: LockHolderRole;
  onPoolError?: (err: Error) => void;
}

// Postgres answers bigint and numeric as strings; counts that fit in a JS number are parsed where read.
export async function connectDatabase(options: ConnectOptions): Promise<Database> {
  if (options.databaseUrl) return connectPostgres(options.databaseUrl, options);
  return openEmbedded(options.dataDir, options.holderRole);
}

const ignoreClientError = (): void => undefined;

function connectPostgres(url: string, options: ConnectOptions): Database {
  const searchPath = options.schema ? `-c search_path=${options.schema},public` : undefined;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
    // A query that outlives this is cancelled by the server, so a stuck database never hangs a request forever.
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idle_in_transaction_session_timeout: 60_000,
    ...(searchPath ? { options: searchPath } : {}),
  });
  // Without a listener an idle client's error (database restart) would crash the process.
  pool.on('error', (err) => options.onPoolError?.(err));
  // A checked-out client has no pool listener (Kysely holds clients from pool.connect()), yet pg emits 'error' on it
  // when the connection drops, even mid-query: unheard, that kills the process. Nothing is lost by ignoring it here:
  // the query or transaction using the client rejects with the same error, and the pool discards the broken client.
  pool.on('connect', (client) => {
    client.on('error', ignoreClientError);
    if (options.preparedStatements ?? true) prepareMarkedStatements(client);
  });
  const db = new Kysely<DB>({ dialect: new CurrentSchemaPostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    ping: (timeoutMs = 2000) => withTimeout(sql`select 1`.execute(db).then(() => undefined), timeoutMs),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => db.destroy(),
  };
}
