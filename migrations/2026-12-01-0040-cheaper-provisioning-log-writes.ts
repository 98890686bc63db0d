import { sql, type Kysely } from 'kysely';

/**
 * Cheaper provisioning-log writes (issue 5: logging may cost a SCIM write at most 15 %); each entry commits
 * with its write, so every index and check on this table is paid on every create and PATCH.
 *
 * - No foreign key to tenants. Its check took a KEY SHARE lock on the tenant's row for every entry; all of a
 *   tenant's concurrent writes then shared that one row through a multixact. Every entry's tenant comes from
 *   the authenticated caller, tenants are disabled rather than deleted, and an audit trail should outlive
 *   what it describes anyway.
 * - No service-wide time index. Service-wide reads and the retention purge walk each tenant's own
 *   (tenant_id, occurred_at, id) index instead (store/provisioning-log-queries.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table provisioning_log drop constraint if exists provisioning_log_tenant_id_fkey`.execute(db);
  await sql`drop index if exists provisioning_log_occurred_idx`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists provisioning_log_occurred_idx on provisioning_log (occurred_at desc, id desc)`.execute(db);
  await sql`alter table provisioning_log add constraint provisioning_log_tenant_id_fkey
    foreign key (tenant_id) references tenants (id) on delete cascade`.execute(db);
}
