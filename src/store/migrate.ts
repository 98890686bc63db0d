import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';

/** migrations/ sits two levels above this file both in src/store (tsx) and in dist/src/store (compiled). */
export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/** Loads every migration module in the folder; .ts under tsx, .js once compiled, never .d.ts or maps. */
class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.folder)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const mod = (await import(pathToFileURL(join(this.folder, file)).href)) as Migration;
      migrations[file.replace(/\.(ts|js)$/, '')] = mod;
    }
    return migrations;
  }
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Brings the schema up to date; Kysely's migrator takes a lock, so replicas starting together are safe. */
export function migrateToLatest<T>(db: Kysely<T>, folder = migrationsFolder): Promise<MigrationResultSet> {
  return migrate(db, folder, (migrator) => migrator.migrateToLatest());
}

/** Brings the schema up to the named migration and no further: upgrade tests start from an older schema. */
export function migrateUpTo<T>(db: Kysely<T>, migrationName: string, folder = migrationsFolder): Promise<MigrationResultSet> {
  return migrate(db, folder, (migrator) => migrator.migrateTo(migrationName));
}

async function migrate<T>(db: Kysely<T>, folder: string, run: (migrator: Migrator) => Promise<MigrationResultSet>): Promise<MigrationResultSet> {
  // Kysely looks for its bookkeeping tables in every schema unless told which: with another schema's
  // kysely_migration visible (tests, benches on a shared server) it would skip creating ours and then fail.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrationTableSchema = rows[0]?.schema;
  const migrator = new Migrator({
    db,
    provider: new FolderMigrationProvider(folder),
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const result = await run(migrator);
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MigrationError(`migration ${failed} failed: ${cause}`);
  }
  return result;
}
