import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface AccountListRow {
  id: string;
  user_name: string;
  external_id: string | null;
  display_name: string | null;
  email: string | null;
  active: boolean;
  /** The effective portal role (src/roles/effective-role.ts). */
  role: string;
  updated_at: Date;
}

/**
 * One page of a tenant's accounts in userName order (ignoring case), after `afterUserName`: a keyset over the
 * accounts_user_name_key index (tenant_id, lower(user_name)), so page 1,000 costs what page 1 does.
 */
export async function listAccountsPage(
  db: Db,
  tenantId: string,
  options: { prefix?: string | undefined; active?: boolean | undefined; afterUserName?: string | undefined; limit: number },
): Promise<AccountListRow[]> {
  let q = db
    .selectFrom('accounts')
    .select(['id', 'user_name', 'external_id', 'display_name', 'email', 'active', 'role', 'updated_at'])
    .where('tenant_id', '=', tenantId);
  if (options.prefix) {
    const escaped = options.prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    q = q.where(sql<boolean>`lower(user_name) like ${`${escaped}%`}`);
  }
  if (options.active !== undefined) q = q.where('active', '=', options.active);
  if (options.afterUserName !== undefined) q = q.where(sql<boolean>`lower(user_name) > ${options.afterUserName.toLowerCase()}`);
  return q.orderBy(sql`lower(user_name)`).limit(options.limit).execute();
}

export interface AccountReadRow extends AccountListRow {
  given_name: string;
  family_name: string;
  created_at: Date;
  /** lower(user_name) as PostgreSQL folds it: the keyset position (JavaScript's folding may differ). */
  user_key: string;
}

const ACCOUNT_READ_COLUMNS = ['id', 'user_name', 'external_id', 'given_name', 'family_name', 'display_name', 'email', 'active', 'role', 'created_at', 'updated_at'] as const;

/**
 * The admin API's page of accounts in userName order (any case), after `afterUserName`; `search` (lower-cased)
 * matches anywhere in the userName, the display name or the email.
 */
export async function findAccountsPage(
  db: Db,
  tenantId: string,
  options: { search?: string | undefined; afterUserName?: string | undefined; limit: number },
): Promise<AccountReadRow[]> {
  let q = db.selectFrom('accounts').select(ACCOUNT_READ_COLUMNS).select(sql<string>`lower(user_name)`.as('user_key')).where('tenant_id', '=', tenantId);
  if (options.search !== undefined) {
    const pattern = `%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<boolean>`(lower(user_name) like ${pattern} or lower(display_name) like ${pattern} or lower(email) like ${pattern})`);
  }
  if (options.afterUserName !== undefined) q = q.where(sql<boolean>`lower(user_name) > ${options.afterUserName}`);
  return q.orderBy(sql`lower(user_name)`).limit(options.limit).execute();
}

export async function findAccountRead(db: Db, tenantId: string, id: string): Promise<AccountReadRow | undefined> {
  return db
    .selectFrom('accounts')
    .select(ACCOUNT_READ_COLUMNS)
    .select(sql<string>`lower(user_name)`.as('user_key'))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}
