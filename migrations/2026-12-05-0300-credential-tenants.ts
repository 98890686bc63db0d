import { sql, type Kysely } from 'kysely';

/**
 * Issue 18: credential lookup that distributes by tenant. A token request and a secret-token bearer learn their
 * tenant from the credential, so `oauth_clients (client_id)` and `secret_tokens (token_hash)` were unique on their
 * own: Citus refuses such a constraint on a table distributed by tenant_id. The key → tenant mapping moves to
 * `credential_tenants`, a small reference table (replicated to every node) that also keeps each key unique across
 * tenants; the credential tables keep only keys led by tenant_id. Existing credentials are backfilled here, so
 * they keep working without being reissued.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('credential_tenants')
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('oauth-client', 'secret-token')`))
    // An OAuth client's client_id, or a secret token's digest (never the token itself).
    .addColumn('credential_key', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('credential_tenants_pkey', ['kind', 'credential_key'])
    .execute();
  // Deleting a tenant cascades here through this index, not a scan.
  await sql`create index credential_tenants_tenant_idx on credential_tenants (tenant_id)`.execute(db);

  await sql`
    insert into credential_tenants (kind, credential_key, tenant_id)
    select 'oauth-client', client_id, tenant_id from oauth_clients
  `.execute(db);
  await sql`
    insert into credential_tenants (kind, credential_key, tenant_id)
    select 'secret-token', token_hash, tenant_id from secret_tokens
  `.execute(db);

  // The lookup is now (tenant_id, client_id): the primary key already serves it.
  await sql`drop index oauth_clients_client_id_key`.execute(db);
  await sql`create unique index secret_tokens_tenant_token_hash_key on secret_tokens (tenant_id, token_hash)`.execute(db);
  await sql`drop index secret_tokens_token_hash_key`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create unique index secret_tokens_token_hash_key on secret_tokens (token_hash)`.execute(db);
  await sql`drop index secret_tokens_tenant_token_hash_key`.execute(db);
  await sql`create unique index oauth_clients_client_id_key on oauth_clients (client_id)`.execute(db);
  await db.schema.dropTable('credential_tenants').execute();
}
