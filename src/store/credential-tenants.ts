import type { Kysely, Transaction } from 'kysely';
import type { CredentialKind, DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * Records which tenant a new credential belongs to. Its primary key keeps each client id and each secret token
 * unique across tenants, which the credential tables (keyed by tenant_id, for Citus) no longer can: a clash
 * throws the driver's unique violation and the caller's transaction rolls the credential back with it.
 */
export async function insertCredentialTenant(trx: Transaction<DB>, row: { kind: CredentialKind; key: string; tenantId: string }): Promise<void> {
  await trx.insertInto('credential_tenants').values({ kind: row.kind, credential_key: row.key, tenant_id: row.tenantId }).execute();
}

/** The tenant of a presented credential, before anything else is known (a reference-table read under Citus). */
export async function findCredentialTenant(db: Db, kind: CredentialKind, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('credential_tenants')
    .select('tenant_id')
    .where('kind', '=', kind)
    .where('credential_key', '=', key)
    .executeTakeFirst();
  return row?.tenant_id;
}
