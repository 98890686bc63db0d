import { sql, type Kysely } from 'kysely';

/**
 * The first-run setup link (issue 12): one row at most, so exactly one link is valid at any time. Each start on
 * an empty database replaces it (a link in an older log stops working); using it deletes the row. Only the
 * code's SHA-256 is kept, so reading this table opens nothing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('setup_codes')
    // A fixed key: the primary key is what makes "one row at most" hold across replicas starting together.
    .addColumn('slot', 'text', (c) => c.primaryKey().check(sql`slot = 'first-run'`))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('setup_codes').execute();
}
