import { sql, type Kysely } from 'kysely';

/**
 * Issue 12: the fingerprint of the key that sealed the stored secrets (a keyed hash, never the key), one row.
 * A process whose ENCRYPTION_KEY (or key file) does not match refuses to start instead of failing later at the
 * first token request or sync. `id` is always 1, so replicas starting together decide by insert-if-absent.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('encryption_key_fingerprint')
    .addColumn('id', 'smallint', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('encryption_key_fingerprint').execute();
}
