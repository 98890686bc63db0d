import { sql, type Kysely } from 'kysely';

/**
 * Issue 13: an asset search ("any part of the name, serial number or MAC") answers from a trigram index instead of
 * reading every asset of the tenant (80 ms at 100,000 assets before). pg_trgm ships with PostgreSQL's contrib and is
 * a trusted extension (a database owner may create it); PGlite loads it in store/embedded.ts. Where it cannot be
 * created (a managed server without it, a role without CREATE on the database), the search still works, unindexed,
 * and this migration says so instead of failing the start.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const schema = await trigramSchema(db);
  if (schema === undefined) {
    process.emitWarning('pg_trgm is not available: asset search (admin API, console) reads every asset of a tenant; create the extension and re-create index assets_search_trgm for speed', 'PortalProvisioningWarning');
    return;
  }
  const ops = sql.raw(`${quoteIdent(schema)}.gin_trgm_ops`);
  await sql`create index assets_search_trgm on assets using gin (lower(name) ${ops}, lower(serial_number) ${ops}, mac_search ${ops})`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists assets_search_trgm`.execute(db);
}

/** The schema pg_trgm lives in, creating it in `public` when missing; undefined when it cannot be had. */
async function trigramSchema(db: Kysely<any>): Promise<string | undefined> {
  const installed = await installedIn(db);
  if (installed !== undefined) return installed;
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'pg_trgm'`.execute(db);
  if ((rows[0]?.n ?? 0) === 0) return undefined;
  // A savepoint, so a refused CREATE EXTENSION does not abort the migration's transaction.
  await sql`savepoint pg_trgm_attempt`.execute(db);
  try {
    await sql`create extension if not exists pg_trgm with schema public`.execute(db);
    await sql`release savepoint pg_trgm_attempt`.execute(db);
  } catch {
    await sql`rollback to savepoint pg_trgm_attempt`.execute(db);
    // Another replica (or test schema) may have created it at the same moment.
    return installedIn(db);
  }
  return installedIn(db);
}

async function installedIn(db: Kysely<any>): Promise<string | undefined> {
  const { rows } = await sql<{ schema: string }>`
    select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(db);
  return rows[0]?.schema;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
