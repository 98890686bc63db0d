import type { Deps } from '../deps.js';
import { findAccountRead, findAccountsPage } from '../store/account-listing.js';
import { decodeCursor, encodeCursor, isText } from './cursor.js';
import { accountView, type AccountView } from './views.js';

export interface AccountQuery {
  /** Matches anywhere in the userName, the display name or the email, any case. */
  search?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface AccountPage {
  accounts: AccountView[];
  nextCursor: string | null;
}

export interface AccountReadService {
  listAccounts(tenantId: string, query: AccountQuery): Promise<AccountPage>;
  getAccount(tenantId: string, id: string): Promise<AccountView | undefined>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The accounts Entra provisioned, read by operators (SCIM's own reads stay in scim/). */
export function createAccountReadService(deps: Pick<Deps, 'database'>): AccountReadService {
  const db = deps.database.db;
  return {
    async listAccounts(tenantId, query) {
      // userName is unique per tenant ignoring case (accounts_user_name_key), so it alone is the keyset position.
      const after = query.cursor === undefined ? undefined : decodeCursor('accounts', query.cursor, [isText])[0];
      const rows = await findAccountsPage(db, tenantId, { search: query.search?.toLowerCase(), afterUserName: after, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        accounts: page.map(accountView),
        nextCursor: rows.length > query.limit && last ? encodeCursor('accounts', [last.user_key]) : null,
      };
    },

    async getAccount(tenantId, id) {
      const key = id.toLowerCase();
      if (!UUID.test(key)) return undefined;
      const row = await findAccountRead(db, tenantId, key);
      return row ? accountView(row) : undefined;
    },
  };
}
