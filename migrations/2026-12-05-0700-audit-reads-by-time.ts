import { sql, type Kysely } from 'kysely';

/**
 * Issue 19, the read side: a service-wide admin's audit page, export and `audit tail` read every chain in
 * (occurred_at, tenant_id, seq) order, and the retention purge looks for the chains holding entries past
 * AUDIT_RETENTION_DAYS. audit_entries_read leads with the tenant, so without this both would read the whole
 * table. Admin actions are few next to SCIM traffic, so the upkeep of a second index on each write is small.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index audit_entries_by_time on audit_entries (occurred_at, tenant_id, seq)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists audit_entries_by_time`.execute(db);
}
