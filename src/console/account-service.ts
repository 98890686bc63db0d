import type { Kysely } from 'kysely';
import { listAccountsPage, type AccountListRow } from '../store/account-listing.js';
import type { DB } from '../store/tables.js';

export interface AccountsQuery {
  userName?: string | undefined;
  status?: 'active' | 'disabled' | undefined;
  /** The last userName of the previous page. */
  after?: string | undefined;
  limit: number;
}

export interface AccountsPage {
  accounts: AccountListRow[];
  /** Pass as `after` for the next page; null on the last. */
  next: string | null;
}

/** The tenant's provisioned portal accounts for the Users page, by userName prefix (ignoring case) and status. */
export async function listTenantAccounts(db: Kysely<DB>, tenantId: string, query: AccountsQuery): Promise<AccountsPage> {
  const rows = await listAccountsPage(db, tenantId, {
    prefix: query.userName,
    active: query.status === undefined ? undefined : query.status === 'active',
    afterUserName: query.after,
    limit: query.limit + 1,
  });
  const accounts = rows.slice(0, query.limit);
  return { accounts, next: rows.length > query.limit ? (accounts.at(-1)?.user_name ?? null) : null };
}
