import type { Kysely, Transaction } from 'kysely';
import type { DB, PortalClient } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface NewPortalClient {
  id: string;
  name: string;
  source: string;
  externalId: string | null;
  at: Date;
}

export async function insertPortalClients(db: Db, tenantId: string, clients: NewPortalClient[]): Promise<void> {
  if (clients.length === 0) return;
  await db
    .insertInto('portal_clients')
    .values(
      clients.map((c) => ({
        tenant_id: tenantId,
        id: c.id,
        name: c.name,
        source: c.source,
        external_id: c.externalId,
        created_at: c.at,
        updated_at: c.at,
      })),
    )
    .execute();
}

export async function listPortalClients(db: Db, tenantId: string): Promise<PortalClient[]> {
  return db.selectFrom('portal_clients').selectAll().where('tenant_id', '=', tenantId).orderBy('name').orderBy('id').execute();
}

export async function findPortalClient(db: Db, tenantId: string, id: string): Promise<PortalClient | undefined> {
  return db.selectFrom('portal_clients').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function findPortalClientByExternalId(db: Db, tenantId: string, source: string, externalId: string): Promise<PortalClient | undefined> {
  return db
    .selectFrom('portal_clients')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('source', '=', source)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

/** Renames the clients a source created itself (a renamed N-central customer); returns how many changed. */
export async function renameSourcedClients(db: Db, tenantId: string, source: string, renames: { externalId: string; name: string }[], at: Date): Promise<number> {
  let changed = 0;
  for (const r of renames) {
    const res = await db
      .updateTable('portal_clients')
      .set({ name: r.name, updated_at: at })
      .where('tenant_id', '=', tenantId)
      .where('source', '=', source)
      .where('external_id', '=', r.externalId)
      .where('name', '<>', r.name)
      .executeTakeFirst();
    changed += Number(res.numUpdatedRows);
  }
  return changed;
}
