import { sql, type Kysely } from 'kysely';

/**
 * SCIM Groups (issue 17). A group is a row; its membership is one row per member in `group_members`, never a
 * JSON list on the group, so adding or removing one member touches one row whatever the group's size
 * (Entra PATCHes `members` in batches; a group may hold tens of thousands).
 *
 * Citus-ready: tenant_id leads every primary key, unique index and foreign key, so both tables can be
 * distributed by tenant_id and colocated with accounts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('groups')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('groups_pkey', ['tenant_id', 'id'])
    .execute();
  // displayName is unique per tenant ignoring case (issue 17; RFC 7643 §4.2 caseExact=false): Entra matches groups by it.
  await sql`create unique index groups_display_name_key on groups (tenant_id, lower(display_name))`.execute(db);
  await sql`create index groups_external_id_idx on groups (tenant_id, external_id)`.execute(db);
  await sql`create index groups_created_idx on groups (tenant_id, created_at, id)`.execute(db);

  await db.schema
    .createTable('group_members')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('group_id', 'uuid', (c) => c.notNull())
    .addColumn('account_id', 'uuid', (c) => c.notNull())
    .addColumn('added_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pkey', ['tenant_id', 'group_id', 'account_id'])
    .addForeignKeyConstraint('group_members_group_fkey', ['tenant_id', 'group_id'], 'groups', ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'))
    // Deleting a user removes it from its groups (issue 17) without a read of its memberships.
    .addForeignKeyConstraint('group_members_account_fkey', ['tenant_id', 'account_id'], 'accounts', ['tenant_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  // A user's groups (its readOnly `groups` attribute, roles) read from the account's side.
  await sql`create index group_members_account_idx on group_members (tenant_id, account_id, group_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('group_members').ifExists().execute();
  await db.schema.dropTable('groups').ifExists().execute();
}
