import { sql, type Kysely } from 'kysely';

/**
 * Issue 14, the SCIM hot path: an unfiltered `GET /Users` answers an exact totalResults (RFC 7644 §3.4.2) from
 * one counter row per tenant instead of `count(*)` over the tenant's accounts (~18 ms at 100,000 users). The
 * statements that insert and delete accounts bump it in the same statement (src/store/accounts.ts), not a
 * trigger: Citus refuses triggers on distributed tables. Counts start from the accounts already there.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('account_counts')
    .addColumn('tenant_id', 'uuid', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('accounts', 'bigint', (c) => c.notNull().check(sql`accounts >= 0`))
    .execute();
  await sql`
    insert into account_counts (tenant_id, accounts)
    select tenant_id, count(*) from accounts group by tenant_id
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_counts').execute();
}
