import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, SigningKey } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface NewSigningKey {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  privateKey: string;
  sealed: boolean;
  createdAt: Date;
}

/** Inserts an active key; fails with a unique violation (23505) if another key is already active. */
export async function insertSigningKey(db: Db, key: NewSigningKey): Promise<SigningKey> {
  return db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      alg: key.alg,
      public_jwk: JSON.stringify(key.publicJwk),
      private_key: key.privateKey,
      sealed: key.sealed,
      created_at: key.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findActiveSigningKey(db: Db): Promise<SigningKey | undefined> {
  return db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).executeTakeFirst();
}

/** The active key and every retired key still within its publish window: what the JWKS shows and verification accepts. */
export async function listPublishedSigningKeys(db: Db, now: Date): Promise<SigningKey[]> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('publish_until', '>', now)]))
    .orderBy('created_at', 'desc')
    .execute();
}

export async function listSigningKeys(db: Db): Promise<SigningKey[]> {
  // The active key first, then the most recently retired.
  return db.selectFrom('signing_keys').selectAll().orderBy(sql`retired_at desc nulls first`).orderBy('created_at', 'desc').execute();
}

export async function retireActiveSigningKey(db: Db, at: Date, publishUntil: Date): Promise<string | undefined> {
  const row = await db
    .updateTable('signing_keys')
    .set({ retired_at: at, publish_until: publishUntil })
    .where('retired_at', 'is', null)
    .returning('kid')
    .executeTakeFirst();
  return row?.kid;
}
