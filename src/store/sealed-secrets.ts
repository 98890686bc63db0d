import type { Kysely, Transaction } from 'kysely';
import type { DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * Every value the service seals (src/crypto/sealed-secret.ts) and where it lives, for the start-up check, the
 * sealing of keys older versions stored in clear, and rotation. A new sealed column gets its reader and writer here.
 */
export interface SealedValue {
  table: 'signing_keys' | 'ncentral_connections';
  /** The row's key: the signing key's kid, or the connection's tenant id. */
  rowKey: string;
  value: string;
}

/** The stored fingerprint, locked for the rest of the transaction (rotation by two replicas runs one after the other). */
export async function lockKeyFingerprint(trx: Transaction<DB>): Promise<string | undefined> {
  const row = await trx.selectFrom('encryption_key_fingerprint').select('fingerprint').where('id', '=', 1).forUpdate().executeTakeFirst();
  return row?.fingerprint;
}

/**
 * Records the fingerprint unless one is there, and answers the one that is: two replicas starting at once with
 * different new keys cannot both win, the database decides.
 */
export async function recordKeyFingerprintIfAbsent(db: Db, fingerprint: string, at: Date): Promise<string> {
  await db
    .insertInto('encryption_key_fingerprint')
    .values({ id: 1, fingerprint, created_at: at, updated_at: at })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const row = await db.selectFrom('encryption_key_fingerprint').select('fingerprint').where('id', '=', 1).executeTakeFirstOrThrow();
  return row.fingerprint;
}

export async function replaceKeyFingerprint(trx: Transaction<DB>, fingerprint: string, at: Date): Promise<void> {
  await trx.updateTable('encryption_key_fingerprint').set({ fingerprint, updated_at: at }).where('id', '=', 1).execute();
}

/** Every sealed value, across tenants: start-up and rotation are service-wide. */
export async function listSealedValues(db: Db): Promise<SealedValue[]> {
  const keys = await db.selectFrom('signing_keys').select(['kid', 'private_key']).where('sealed', '=', true).execute();
  const tokens = await db.selectFrom('ncentral_connections').select(['tenant_id', 'token_sealed']).execute();
  return [
    ...keys.map((k): SealedValue => ({ table: 'signing_keys', rowKey: k.kid, value: k.private_key })),
    ...tokens.map((c): SealedValue => ({ table: 'ncentral_connections', rowKey: c.tenant_id, value: c.token_sealed })),
  ];
}

/** One sealed value, to check a key against when no fingerprint is recorded yet (a database from before issue 12). */
export async function findAnySealedValue(db: Db): Promise<SealedValue | undefined> {
  const key = await db.selectFrom('signing_keys').select(['kid', 'private_key']).where('sealed', '=', true).limit(1).executeTakeFirst();
  if (key) return { table: 'signing_keys', rowKey: key.kid, value: key.private_key };
  const token = await db.selectFrom('ncentral_connections').select(['tenant_id', 'token_sealed']).limit(1).executeTakeFirst();
  return token ? { table: 'ncentral_connections', rowKey: token.tenant_id, value: token.token_sealed } : undefined;
}

export async function writeSealedValue(trx: Transaction<DB>, sealed: SealedValue): Promise<void> {
  if (sealed.table === 'signing_keys') {
    await trx.updateTable('signing_keys').set({ private_key: sealed.value, sealed: true }).where('kid', '=', sealed.rowKey).execute();
  } else {
    await trx.updateTable('ncentral_connections').set({ token_sealed: sealed.value }).where('tenant_id', '=', sealed.rowKey).execute();
  }
}

/** Signing keys stored in clear by versions without a key (before issue 12), locked until sealed. */
export async function listUnsealedSigningKeys(trx: Transaction<DB>): Promise<{ kid: string; privateKey: string }[]> {
  const rows = await trx.selectFrom('signing_keys').select(['kid', 'private_key']).where('sealed', '=', false).forUpdate().execute();
  return rows.map((r) => ({ kid: r.kid, privateKey: r.private_key }));
}
