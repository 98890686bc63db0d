import { sql, type Kysely } from 'kysely';

/**
 * Cheaper provisioning-log writes (issue 5: logging may cost a SCIM write at most 15 %). A write's entry
 * commits with it, so every index and check on this table is paid on every create and PATCH.
 *
 * - No foreign key to tenants. Its check took a KEY SHARE lock on the tenant's row for every entry; all of a
 *   tenant's concurrent writes then shared that one row through a multixact. Every entry's tenant comes from
 *   the authenticated caller, tenants are disabled rather than deleted, and an audit trail should outlive
 *   what it describes anyway.
 * - No service-wide time index: service-wide reads and the purge walk each tenant's own time index.
 * - The userName and externalId indexes cover only entries whose target the accounts table cannot vouch
 *   for (no user id, or a failure). A successful entry names its user as that user was at the time, so
 *   it is found through the user id: ids whose account has that name now (accounts' own indexes) or had it
 *   before (`account_former_names`, written when an account is renamed or deleted).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table provisioning_log drop constraint if exists provisioning_log_tenant_id_fkey`.execute(db);
  await sql`drop index if exists provisioning_log_occurred_idx`.execute(db);

  await db.schema
    .createTable('account_former_names')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('id', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'uuid', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    // When the account stopped carrying these names; the retention purge drops rows older than the log.
    .addColumn('until', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_former_names_pkey', ['tenant_id', 'id'])
    .execute();
  await sql`create index account_former_names_user_name_idx on account_former_names (tenant_id, lower(user_name))`.execute(db);
  await sql`create index account_former_names_external_id_idx on account_former_names (tenant_id, external_id)`.execute(db);
  await sql`create index account_former_names_until_idx on account_former_names (until)`.execute(db);

  // Names the log already holds for users that no longer carry them (renamed or deleted before this).
  await sql`
    insert into account_former_names (tenant_id, account_id, user_name, external_id, until)
    select l.tenant_id, l.target_id, l.target_user_name, l.target_external_id, max(l.occurred_at)
    from provisioning_log l
    where l.target_id is not null and l.target_user_name is not null and l.outcome = 'success'
      and not exists (
        select 1 from accounts a
        where a.tenant_id = l.tenant_id and a.id = l.target_id
          and lower(a.user_name) = lower(l.target_user_name) and a.external_id is not distinct from l.target_external_id)
    group by l.tenant_id, l.target_id, l.target_user_name, l.target_external_id`.execute(db);

  await sql`drop index if exists provisioning_log_user_name_idx`.execute(db);
  await sql`drop index if exists provisioning_log_external_id_idx`.execute(db);
  await sql`create index provisioning_log_user_name_idx on provisioning_log (tenant_id, lower(target_user_name))
    where target_id is null or outcome = 'failure'`.execute(db);
  await sql`create index provisioning_log_external_id_idx on provisioning_log (tenant_id, target_external_id)
    where target_id is null or outcome = 'failure'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists provisioning_log_user_name_idx`.execute(db);
  await sql`drop index if exists provisioning_log_external_id_idx`.execute(db);
  await sql`create index provisioning_log_user_name_idx on provisioning_log (tenant_id, lower(target_user_name))`.execute(db);
  await sql`create index provisioning_log_external_id_idx on provisioning_log (tenant_id, target_external_id)`.execute(db);
  await db.schema.dropTable('account_former_names').execute();
  await sql`create index if not exists provisioning_log_occurred_idx on provisioning_log (occurred_at desc, id desc)`.execute(db);
  await sql`alter table provisioning_log add constraint provisioning_log_tenant_id_fkey
    foreign key (tenant_id) references tenants (id) on delete cascade`.execute(db);
}
