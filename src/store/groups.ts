import { sql, type Expression, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { prepared } from './prepared-statements.js';
import type { DB, Group } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/** A group's row; its members are read apart (store/group-members.ts), and only when an answer needs them. */
export type GroupRecord = Omit<Group, 'tenant_id'>;
const RECORD_COLUMNS = ['id', 'display_name', 'external_id', 'version', 'created_at', 'updated_at'] as const;

export interface GroupValues {
  display_name: string;
  external_id: string | null;
}

/** Another group of the tenant already has this displayName (ignoring case): the unique index refused the write. */
export class GroupNameTaken extends Error {
  override name = 'GroupNameTaken';
  constructor(readonly displayName: string) {
    super(`displayName "${displayName}" is already taken in this tenant.`);
  }
}

const PG_UNIQUE_VIOLATION = '23505';
const translate = (values: GroupValues) => (err: unknown): never => {
  if ((err as { code?: string }).code === PG_UNIQUE_VIOLATION) throw new GroupNameTaken(values.display_name);
  throw err;
};

/** Inserts a group; a displayName taken in the tenant (ignoring case) throws GroupNameTaken. */
export async function insertGroup(db: Db, tenantId: string, id: string, values: GroupValues, now: Date): Promise<GroupRecord> {
  const row = await db
    .insertInto('groups')
    .values({ tenant_id: tenantId, id, ...values, version: 1, created_at: now, updated_at: now })
    .onConflict((oc) => oc.expression(sql`tenant_id, lower(display_name)`).doNothing())
    .returning(RECORD_COLUMNS)
    .modifyEnd(prepared)
    .executeTakeFirst();
  if (!row) throw new GroupNameTaken(values.display_name);
  return row;
}

export async function findGroupById(db: Db, tenantId: string, id: string): Promise<GroupRecord | undefined> {
  return db.selectFrom('groups').select(RECORD_COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).modifyEnd(prepared).executeTakeFirst();
}

/** Locks the group's row until the transaction ends, so concurrent PATCHes of one group apply one after another. */
export async function lockGroupById(trx: Transaction<DB>, tenantId: string, id: string): Promise<GroupRecord | undefined> {
  return trx
    .selectFrom('groups')
    .select(RECORD_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .forUpdate()
    .modifyEnd(prepared)
    .executeTakeFirst();
}

/** Writes the group's fields and its new version (the ETag; membership changes bump it too). */
export async function updateGroup(trx: Transaction<DB>, tenantId: string, id: string, values: GroupValues, version: number, now: Date): Promise<GroupRecord | undefined> {
  return trx
    .updateTable('groups')
    .set({ ...values, version, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returning(RECORD_COLUMNS)
    .modifyEnd(prepared)
    .executeTakeFirst()
    .catch(translate(values));
}

/** Deletes the group; its membership rows go with it (foreign key cascade). */
export async function deleteGroup(trx: Transaction<DB>, tenantId: string, id: string): Promise<boolean> {
  const result = await trx.deleteFrom('groups').where('tenant_id', '=', tenantId).where('id', '=', id).modifyEnd(prepared).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export type GroupSortColumn = 'display_name' | 'external_id' | 'created_at' | 'updated_at' | 'id';
export const GROUP_SORT_COLUMNS: ReadonlySet<string> = new Set<GroupSortColumn>(['display_name', 'external_id', 'created_at', 'updated_at', 'id']);

export interface GroupListQuery {
  /** A condition on `groups` (the SCIM filter); the tenant condition is added here. */
  where: Expression<SqlBool> | undefined;
  sortBy: GroupSortColumn | undefined;
  descending: boolean;
  offset: number;
  limit: number;
}

/** One page of a tenant's groups in a stable order (sort column, then creation, then id), and the exact total. */
export async function listGroups(db: Db, tenantId: string, q: GroupListQuery): Promise<{ rows: GroupRecord[]; total: number }> {
  let base = db.selectFrom('groups').where('tenant_id', '=', tenantId);
  if (q.where) {
    const where = q.where;
    base = base.where(() => where);
  }
  const direction = q.descending ? 'desc' : 'asc';
  let page = base.select(RECORD_COLUMNS);
  if (q.sortBy && q.sortBy !== 'created_at') page = page.orderBy(q.sortBy, direction);
  page = page.orderBy('created_at', direction).orderBy('id', direction);
  const rows = q.limit === 0 ? [] : await page.offset(q.offset).limit(q.limit).execute();
  if (q.offset === 0 && rows.length < q.limit) return { rows, total: rows.length };
  const counted = await base.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
  return { rows, total: Number(counted.n) };
}
