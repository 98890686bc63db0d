import type { Kysely } from 'kysely';
import type { DB } from './tables.js';

/**
 * The cursor key every replica shares: `candidate` is stored unless a key is there, and the stored one is answered,
 * so replicas starting together agree on whichever the database kept.
 */
export async function establishCursorKey(db: Kysely<DB>, candidate: string, at: Date): Promise<string> {
  await db.insertInto('scim_cursor_key').values({ id: 1, key: candidate, created_at: at }).onConflict((oc) => oc.column('id').doNothing()).execute();
  const row = await db.selectFrom('scim_cursor_key').select('key').where('id', '=', 1).executeTakeFirstOrThrow();
  return row.key;
}
