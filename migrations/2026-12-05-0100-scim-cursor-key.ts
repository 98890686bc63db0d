import { sql, type Kysely } from 'kysely';

/**
 * The key RFC 9865 cursors are sealed with (issue 14): one row, so every replica seals and opens cursors with the
 * same key and a client may be load-balanced between them mid-walk. Written by the first replica that needs it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('scim_cursor_key')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('scim_cursor_key').execute();
}
