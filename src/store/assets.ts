import { sql, type Kysely, type Transaction } from 'kysely';
import type { Asset, DB } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface AssetWrite {
  id: string;
  portalClientId: string;
  source: string;
  externalId: string;
  name: string;
  serialNumber: string | null;
  macAddresses: string[];
  model: string | null;
  manufacturer: string | null;
  osName: string | null;
  deviceClass: string | null;
  /** What N-central reports of the device feeding this asset; absent for other sources. */
  ncentralCustomerId?: string | null;
  ncentralSiteId?: string | null;
  lastCheckIn?: Date | null;
}

/**
 * A MAC address as a search compares it: its hex digits, lower-case, separators dropped, so `00-1A-2B-3C-4D-5E`,
 * `001a.2b3c.4d5e` and `00:1a:2b:3c:4d:5e` are one address.
 */
export const macDigits = (mac: string): string => mac.toLowerCase().replace(/[^0-9a-f]/g, '');

/** The `mac_search` column: every address's digits, comma-separated, so a search never matches across two. */
export const macSearchKey = (macs: readonly string[]): string => macs.map(macDigits).filter((m) => m !== '').join(',');

/**
 * One multi-row upsert keyed by (tenant, source, external id): a replayed batch (a crashed run resumed, a job
 * delivered twice) updates the same rows instead of duplicating them. Returns the ids actually stored.
 */
export async function upsertAssets(db: Db, tenantId: string, assets: AssetWrite[], at: Date): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  if (assets.length === 0) return ids;
  const rows = await db
    .insertInto('assets')
    .values(
      assets.map((a) => ({
        tenant_id: tenantId,
        id: a.id,
        portal_client_id: a.portalClientId,
        source: a.source,
        external_id: a.externalId,
        name: a.name,
        serial_number: a.serialNumber,
        mac_addresses: JSON.stringify(a.macAddresses),
        model: a.model,
        manufacturer: a.manufacturer,
        os_name: a.osName,
        device_class: a.deviceClass,
        ncentral_customer_id: a.ncentralCustomerId ?? null,
        ncentral_site_id: a.ncentralSiteId ?? null,
        last_check_in: a.lastCheckIn ?? null,
        mac_search: macSearchKey(a.macAddresses),
        removed_at: null,
        created_at: at,
        updated_at: at,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'source', 'external_id']).doUpdateSet((eb) => ({
        portal_client_id: eb.ref('excluded.portal_client_id'),
        name: eb.ref('excluded.name'),
        serial_number: eb.ref('excluded.serial_number'),
        mac_addresses: eb.ref('excluded.mac_addresses'),
        model: eb.ref('excluded.model'),
        manufacturer: eb.ref('excluded.manufacturer'),
        os_name: eb.ref('excluded.os_name'),
        device_class: eb.ref('excluded.device_class'),
        ncentral_customer_id: eb.ref('excluded.ncentral_customer_id'),
        ncentral_site_id: eb.ref('excluded.ncentral_site_id'),
        last_check_in: eb.ref('excluded.last_check_in'),
        mac_search: eb.ref('excluded.mac_search'),
        removed_at: null,
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returning(['id', 'external_id'])
    .execute();
  for (const r of rows) ids.set(r.external_id, r.id);
  return ids;
}

/** Moves assets to another portal client (a device moved, or its customer was re-matched). */
export async function moveAssets(db: Db, tenantId: string, moves: { assetId: string; portalClientId: string }[], at: Date): Promise<void> {
  if (moves.length === 0) return;
  const values = sql.join(moves.map((m) => sql`(${m.assetId}::uuid, ${m.portalClientId}::uuid)`));
  await sql`
    update assets set portal_client_id = v.client, updated_at = ${at}
    from (values ${values}) as v(id, client)
    where assets.tenant_id = ${tenantId} and assets.id = v.id and assets.portal_client_id <> v.client`.execute(db);
}

/** Assets from other sources a device could be linked to: the same serial, or the same name within a client. */
export async function findLinkCandidates(
  db: Db,
  tenantId: string,
  source: string,
  serials: string[],
  names: { portalClientId: string; name: string }[],
): Promise<Pick<Asset, 'id' | 'portal_client_id' | 'name' | 'serial_number'>[]> {
  if (serials.length === 0 && names.length === 0) return [];
  return db
    .selectFrom('assets')
    .select(['id', 'portal_client_id', 'name', 'serial_number'])
    .where('tenant_id', '=', tenantId)
    .where('source', '<>', source)
    .where('removed_at', 'is', null)
    .where((eb) => {
      const ors = [];
      if (serials.length > 0) ors.push(eb('serial_number', 'in', serials));
      if (names.length > 0) {
        ors.push(
          eb.or(
            names.map((n) =>
              eb.and([eb('portal_client_id', '=', n.portalClientId), eb(eb.fn('lower', [eb.fn('btrim', ['name'])]), '=', n.name.trim().toLowerCase())]),
            ),
          ),
        );
      }
      return eb.or(ors);
    })
    .execute();
}

/** Marks a source's assets removed; returns the ids of those it marked (the change records need them). */
export async function markAssetsRemoved(db: Db, tenantId: string, source: string, externalIds: string[], at: Date): Promise<{ id: string; externalId: string }[]> {
  if (externalIds.length === 0) return [];
  const rows = await db
    .updateTable('assets')
    .set({ removed_at: at, updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('source', '=', source)
    .where('external_id', 'in', externalIds)
    .where('removed_at', 'is', null)
    .returning(['id', 'external_id'])
    .execute();
  return rows.map((r) => ({ id: r.id, externalId: r.external_id }));
}

/** The stored assets a batch is about to overwrite: what their change records compare against. */
export async function findAssetsForUpdate(db: Db, tenantId: string, ids: string[]): Promise<Asset[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('assets').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}

export async function listAssets(db: Db, tenantId: string, filter: { source?: string; portalClientId?: string } = {}): Promise<Asset[]> {
  let q = db.selectFrom('assets').selectAll().where('tenant_id', '=', tenantId);
  if (filter.source) q = q.where('source', '=', filter.source);
  if (filter.portalClientId) q = q.where('portal_client_id', '=', filter.portalClientId);
  return q.orderBy('external_id').execute();
}

export async function insertAsset(db: Db, tenantId: string, a: AssetWrite, at: Date): Promise<void> {
  await upsertAssets(db, tenantId, [a], at);
}
