import { randomBytes } from 'node:crypto';
import pg from 'pg';
import tap from 'tap';
import { connectDatabase } from '../../src/store/connect.js';
import type { Database } from '../../src/store/database.js';
import { migrateToLatest, migrateUpTo } from '../../src/store/migrate.js';
import { auditSecretLeaks } from './audit-secret-scan.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** The PostgreSQL the suite runs against; unset means the embedded PGlite pass. */
export const testDatabaseUrl = (): string | undefined =>
  process.env['TEST_DATABASE_URL'] || process.env['DATABASE_URL'] || undefined;

export interface TestDatabase {
  database: Database;
  /** The schema this test file owns (PostgreSQL only). */
  schema: string | undefined;
  url: string | undefined;
  /** Closes the connection and drops the schema. */
  dispose(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

let shared: Promise<TestDatabase> | undefined;

/**
 * The test file's own migrated database, opened once per file (tap runs each file in its own process) and
 * dropped when the file ends: a fresh schema on PostgreSQL, so files run in parallel, else an in-memory PGlite.
 * Tests in one file share it and keep apart by using tenants of their own.
 */
export function sharedTestDatabase(): Promise<TestDatabase> {
  if (!shared) {
    shared = openTestDatabase();
    // The root test's teardown runs after the file's last test; the open pool would otherwise keep it alive.
    tap.teardown(async () => {
      const testDb = await shared;
      if (!testDb) return;
      // Issue 19: every audit entry the suite writes is searched for secrets before its database goes.
      // A file that closed or reshaped its own database leaves nothing to search; that is said, not failed.
      const leaks = await auditSecretLeaks(testDb.database.db).catch((err: Error) => {
        process.stderr.write(`audit secret scan skipped: ${err.message}\n`);
        return [];
      });
      await testDb.dispose();
      if (leaks.length > 0) {
        process.stderr.write(`secrets in the audit trail:\n${leaks.join('\n')}\n`);
        process.exitCode = 1;
      }
    });
  }
  return shared;
}

/** A database of its own for a test that needs one (e.g. to stop it); disposed at the test's teardown. */
export async function openTestDatabase(t?: Teardown): Promise<TestDatabase> {
  const url = testDatabaseUrl();
  let result: TestDatabase;
  if (url) {
    const schema = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await adminQuery(url, `create schema ${schema}`);
    const database = await connectDatabase({ databaseUrl: url, schema, poolMax: 20 });
    result = {
      database,
      schema,
      url,
      dispose: async () => {
        await database.close();
        await adminQuery(url, `drop schema if exists ${schema} cascade`);
      },
    };
  } else {
    const database = await connectDatabase({});
    result = { database, schema: undefined, url: undefined, dispose: () => database.close() };
  }
  await migrateToLatest(result.database.db);
  t?.teardown(() => result.dispose());
  return result;
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A fresh schema reached through a TCP proxy the test can slow or cut, to play a database outage without touching
 * the shared server; `url` points at the proxy. Proxy and schema (and its pg-boss schema) go at teardown.
 */
export async function schemaBehindProxy(t: Teardown, pgUrl: string, prefix: string): Promise<{ proxy: TcpProxy; url: string; schema: string }> {
  const target = new URL(pgUrl);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  t.teardown(() => proxy.close());
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(pgUrl, `create schema ${schema}`);
  t.teardown(() => adminQuery(pgUrl, `drop schema if exists ${schema}, ${schema}_pgboss cascade`));
  const url = new URL(pgUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return { proxy, url: url.toString(), schema };
}

/** A database of its own (a schema on PostgreSQL, PGlite in memory) migrated only up to `migration`: for upgrade tests. */
export async function databaseAtMigration(t: Teardown, migration: string): Promise<Database['db']> {
  return (await testDatabaseAtMigration(t, migration)).database.db;
}

/** The same as a TestDatabase, for upgrade tests that then run the whole app on it (buildTestApp's `testDb`). */
export async function testDatabaseAtMigration(t: Teardown, migration: string): Promise<TestDatabase> {
  const url = testDatabaseUrl();
  const schema = url ? `test_upgrade_${randomBytes(4).toString('hex')}` : undefined;
  if (url && schema) await adminQuery(url, `create schema ${schema}`);
  const database = await connectDatabase(url ? { databaseUrl: url, schema } : {});
  const dispose = async () => {
    await database.close();
    if (url && schema) await adminQuery(url, `drop schema if exists ${schema} cascade`);
  };
  t.teardown(dispose);
  await migrateUpTo(database.db, migration);
  return { database, schema, url, dispose };
}
