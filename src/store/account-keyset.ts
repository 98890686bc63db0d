import { sql, type Expression, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { listedColumns, pageGroupsColumn, type ListedAccount, type ListedQuery } from './accounts.js';
import { prepared, preparedShape } from './prepared-statements.js';
import type { DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

/** An account with its place in the creation order: created_at to the microsecond (PostgreSQL's precision), and id. */
export type KeyedAccount = ListedAccount & { created_us: string };

export interface KeysetQuery extends ListedQuery {
  where: Expression<SqlBool> | undefined;
  /** The creation order read backwards (sortOrder=descending). */
  descending: boolean;
  /** Rows strictly after this place in the walk's direction; none for the first page. */
  after: { createdUs: bigint; id: string } | undefined;
  /** Read towards the start instead (a previous page): rows before `after`, nearest first. */
  backwards: boolean;
  limit: number;
}

/**
 * One page of the tenant's accounts by keyset over accounts_created_idx (tenant_id, created_at, id): the index is
 * entered at the position and read for `limit` rows, so page 10,000 costs what page 1 does and no row is skipped
 * or repeated while others are created or deleted (created_at and id never change).
 */
export async function listAccountsByKeyset(db: Db, tenantId: string, q: KeysetQuery): Promise<KeyedAccount[]> {
  // Forward in ascending order and backward in descending order both read the index upwards.
  const upwards = q.descending === q.backwards;
  const direction = upwards ? 'asc' : 'desc';
  let query = db
    .selectFrom('accounts')
    .select(listedColumns(q))
    .select(pageGroupsColumn(tenantId))
    .select(sql<string>`(extract(epoch from created_at) * 1000000)::int8::text`.as('created_us'))
    .where('tenant_id', '=', tenantId);
  if (q.where) {
    const where = q.where;
    query = query.where(() => where);
  }
  if (q.after) {
    // An exact timestamptz from integer microseconds (no float rounding), compared as a row so the index bounds the scan.
    const at = sql`(timestamptz 'epoch' + ${q.after.createdUs.toString()}::int8 * interval '1 microsecond')`;
    query = query.where(upwards ? sql<boolean>`(created_at, id) > (${at}, ${q.after.id}::uuid)` : sql<boolean>`(created_at, id) < (${at}, ${q.after.id}::uuid)`);
  }
  query = query.orderBy('created_at', direction).orderBy('id', direction).limit(q.limit);
  // A filter's text depends on its shape only (values are parameters): it draws on the bounded shape budget.
  return query.modifyEnd(q.where ? preparedShape : prepared).execute();
}
