import { sql, type Kysely, type Transaction } from 'kysely';
import { containing } from './asset-listing.js';
import type { DB, NcentralOrgUnit, PortalClient } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface ClientFilter {
  /** Lower-cased; matches anywhere in the name. */
  search?: string | undefined;
  source?: string | undefined;
}

/** A place in the clients' order: the name as portal_clients_name_idx keys it, then the id. */
export interface ClientPosition {
  nameKey: string;
  id: string;
}

export type ClientListRow = PortalClient & { name_key: string };

const nameKey = sql<string>`lower(btrim(name))`;

function selectClients(db: Db, tenantId: string) {
  return db.selectFrom('portal_clients').selectAll().select(nameKey.as('name_key')).where('tenant_id', '=', tenantId);
}

/** One page of a tenant's portal clients by name (any case), strictly after `after`. */
export async function findClientsPage(
  db: Db,
  tenantId: string,
  filter: ClientFilter,
  page: { after?: ClientPosition | undefined; limit: number },
): Promise<ClientListRow[]> {
  let q = selectClients(db, tenantId);
  if (filter.search !== undefined) q = q.where(sql<boolean>`lower(name) like ${containing(filter.search)}`);
  if (filter.source !== undefined) q = q.where('source', '=', filter.source);
  const after = page.after;
  if (after) q = q.where(sql<boolean>`(${nameKey}, id) > (${after.nameKey}, ${after.id}::uuid)`);
  return q.orderBy(nameKey).orderBy('id').limit(page.limit).execute();
}

export async function findClientById(db: Db, tenantId: string, id: string): Promise<ClientListRow | undefined> {
  return selectClients(db, tenantId).where('id', '=', id).executeTakeFirst();
}

/** The N-central customers and sites matched to each of the given clients. */
export async function findOrgUnitsOfClients(db: Db, tenantId: string, clientIds: string[]): Promise<NcentralOrgUnit[]> {
  if (clientIds.length === 0) return [];
  return db
    .selectFrom('ncentral_org_units')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('portal_client_id', 'in', clientIds)
    .where('state', '=', 'matched')
    .orderBy('org_unit_id')
    .execute();
}
