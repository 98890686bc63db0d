import type { Deps } from '../deps.js';
import { countAssetsByClient } from '../store/asset-listing.js';
import { findClientById, findClientsPage, findOrgUnitsOfClients, type ClientListRow } from '../store/client-listing.js';
import type { NcentralOrgUnit } from '../store/tables.js';
import { decodeCursor, encodeCursor, isText, isUuid } from './cursor.js';
import { clientView, type ClientView } from './views.js';

export interface ClientQuery {
  /** Matches anywhere in the name, any case. */
  search?: string | undefined;
  source?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface ClientPage {
  clients: ClientView[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface ClientService {
  /** One page by name (any case); the cursor throws InvalidCursorError when it is not one we issued. */
  listClients(tenantId: string, query: ClientQuery): Promise<ClientPage>;
  /** One client of this tenant; another tenant's id is simply not found. */
  getClient(tenantId: string, id: string): Promise<ClientView | undefined>;
}

/** The portal's clients as the admin API and the console read them: with asset counts and N-central links. */
export function createClientService(deps: Pick<Deps, 'database'>): ClientService {
  const db = deps.database.db;

  async function views(tenantId: string, rows: ClientListRow[]): Promise<ClientView[]> {
    const ids = rows.map((r) => r.id);
    const [counts, units] = await Promise.all([countAssetsByClient(db, tenantId, ids), findOrgUnitsOfClients(db, tenantId, ids)]);
    const unitsOf = new Map<string, NcentralOrgUnit[]>();
    for (const u of units) if (u.portal_client_id) (unitsOf.get(u.portal_client_id) ?? unitsOf.set(u.portal_client_id, []).get(u.portal_client_id))?.push(u);
    return rows.map((r) => clientView(r, unitsOf.get(r.id) ?? [], counts.get(r.id)));
  }

  return {
    async listClients(tenantId, query) {
      const after = query.cursor === undefined ? undefined : decodeCursor('clients', query.cursor, [isText, isUuid]);
      const rows = await findClientsPage(
        db,
        tenantId,
        { search: query.search?.toLowerCase(), source: query.source },
        { after: after && { nameKey: after[0] ?? '', id: after[1] ?? '' }, limit: query.limit + 1 },
      );
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        clients: await views(tenantId, page),
        nextCursor: rows.length > query.limit && last ? encodeCursor('clients', [last.name_key, last.id]) : null,
      };
    },

    async getClient(tenantId, id) {
      const key = id.toLowerCase();
      if (!isUuid(key)) return undefined;
      const row = await findClientById(db, tenantId, key);
      return row ? (await views(tenantId, [row]))[0] : undefined;
    },
  };
}
