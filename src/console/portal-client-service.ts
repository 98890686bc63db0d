import type { Kysely } from 'kysely';
import { listPortalClients } from '../store/portal-clients.js';
import type { DB, PortalClient } from '../store/tables.js';

/** The tenant's portal clients, for the wizard's per-row Match choice (the N-central service has no list of them). */
export async function tenantPortalClients(db: Kysely<DB>, tenantId: string): Promise<PortalClient[]> {
  return (await listPortalClients(db, tenantId)).sort((a, b) => a.name.localeCompare(b.name));
}
