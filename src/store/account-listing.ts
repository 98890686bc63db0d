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
