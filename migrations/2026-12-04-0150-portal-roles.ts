import { sql, type Kysely } from 'kysely';

/**
 * Portal roles (issue 17): the rules mapping an Entra group to a role, each tenant's default role, and the
 * account's effective role kept on its row (with why), so a read never recomputes it. Every account starts at
 * 'read-only', the default every tenant starts with; no group or rule existed before this migration, and an
 * app role already stored in `roles` takes effect on the account's next change.
 */
const ROLE_CHECK = (column: string) => sql`${sql.ref(column)} in ('admin', 'technician', 'read-only')`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('role_rules')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('match_by', 'text', (c) => c.notNull().check(sql`match_by in ('displayName', 'externalId')`))
    .addColumn('match_value', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(ROLE_CHECK('role')))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_rules_pkey', ['tenant_id', 'id'])
    .execute();
  // One rule per group name: two rules for one group would leave its role to their order.
  await sql`create unique index role_rules_match_key on role_rules (tenant_id, match_by, lower(match_value))`.execute(db);

  await db.schema
    .alterTable('tenants')
    .addColumn('default_role', 'text', (c) => c.notNull().defaultTo('read-only').check(ROLE_CHECK('default_role')))
    .execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('read-only').check(ROLE_CHECK('role')))
    .execute();
  // The cause of `role` (src/roles/effective-role.ts RoleCause); null: never computed since this migration.
  await db.schema.alterTable('accounts').addColumn('role_cause', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('role_cause').execute();
  await db.schema.alterTable('accounts').dropColumn('role').execute();
  await db.schema.alterTable('tenants').dropColumn('default_role').execute();
  await db.schema.dropTable('role_rules').execute();
}
