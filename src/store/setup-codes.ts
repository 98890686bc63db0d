import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface StoredSetupCode {
  codeHash: string;
  createdAt: Date;
  expiresAt: Date;
}

/** No tenant and no admin token: nobody can sign in yet, so a setup link is the way in. */
export async function isUnsetDatabase(db: Db): Promise<boolean> {
  const { rows } = await sql<{ unset: boolean }>`select not exists (select 1 from tenants) and not exists (select 1 from admin_tokens) as unset`.execute(db);
  return rows[0]?.unset === true;
}

/**
 * Writes the one setup code, replacing any earlier one, but only while the database is still unset: a replica
 * starting just as someone finishes setup does not open a fresh way in.
 */
export async function replaceSetupCode(db: Db, code: StoredSetupCode): Promise<boolean> {
  const result = await sql`
    insert into setup_codes (slot, code_hash, created_at, expires_at)
    select 'first-run', ${code.codeHash}, ${code.createdAt}, ${code.expiresAt}
    where not exists (select 1 from tenants) and not exists (select 1 from admin_tokens)
    on conflict (slot) do update set code_hash = excluded.code_hash, created_at = excluded.created_at, expires_at = excluded.expires_at`.execute(db);
  return (result.numAffectedRows ?? 0n) > 0n;
}

/** The current code, locked until the transaction ends when read inside one, so two uses cannot both pass. */
export async function findSetupCode(db: Db, lock: boolean): Promise<StoredSetupCode | undefined> {
  let query = db.selectFrom('setup_codes').select(['code_hash', 'created_at', 'expires_at']).where('slot', '=', 'first-run');
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? { codeHash: row.code_hash, createdAt: row.created_at, expiresAt: row.expires_at } : undefined;
}

/** Deletes the code if it is still the one read: true for exactly one caller. */
export async function deleteSetupCode(db: Db, codeHash: string): Promise<boolean> {
  const result = await db.deleteFrom('setup_codes').where('slot', '=', 'first-run').where('code_hash', '=', codeHash).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function hasAdminTokens(db: Db): Promise<boolean> {
  const row = await db.selectFrom('admin_tokens').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}
