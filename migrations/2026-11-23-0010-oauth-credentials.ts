import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any> on purpose: they describe the schema at their own point in time, not today's types.
export async function up(db: Kysely<any>): Promise<void> {
  // An OAuth2 client (RFC 6749 §2) Entra signs in with. client_id is unique across tenants because the
  // token endpoint learns the tenant from it: that lookup is the one index not led by tenant_id.
  await db.schema
    .createTable('oauth_clients')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'revoked')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addPrimaryKeyConstraint('oauth_clients_pkey', ['tenant_id', 'client_id'])
    .execute();
  await sql`create unique index oauth_clients_client_id_key on oauth_clients (client_id)`.execute(db);

  // A client has one current secret and, during a rotation's overlap, older ones valid until `expires_at`.
  await db.schema
    .createTable('oauth_client_secrets')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addPrimaryKeyConstraint('oauth_client_secrets_pkey', ['tenant_id', 'client_id', 'id'])
    .addForeignKeyConstraint('oauth_client_secrets_client_fkey', ['tenant_id', 'client_id'], 'oauth_clients', ['tenant_id', 'client_id'], (c) => c.onDelete('cascade'))
    .execute();

  // Entra's "Secret Token" alternative: a long-lived bearer, stored as a digest; looked up by that digest.
  await db.schema
    .createTable('secret_tokens')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addPrimaryKeyConstraint('secret_tokens_pkey', ['tenant_id', 'id'])
    .execute();
  await sql`create unique index secret_tokens_token_hash_key on secret_tokens (token_hash)`.execute(db);

  // Service-wide access-token signing keys. At most one is active; a retired key stays published in the JWKS
  // (and accepted) until `publish_until`, when every token it signed has expired.
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
    .addColumn('private_key', 'text', (c) => c.notNull())
    .addColumn('sealed', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('retired_at', 'timestamptz')
    .addColumn('publish_until', 'timestamptz')
    .execute();
  await sql`create unique index signing_keys_one_active on signing_keys ((true)) where retired_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('signing_keys').execute();
  await db.schema.dropTable('secret_tokens').execute();
  await db.schema.dropTable('oauth_client_secrets').execute();
  await db.schema.dropTable('oauth_clients').execute();
}
