import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import { listOrgUnits, markOrgUnitsGone, setOrgUnitStates, upsertOrgUnits, type OrgUnitWrite } from '../store/ncentral.js';
import { insertPortalClients, listPortalClients, renameSourcedClients } from '../store/portal-clients.js';
import type { DB } from '../store/tables.js';
import type { NcentralSource } from './source.js';

const SOURCE = 'ncentral';
type Lane = <T>(fn: () => Promise<T>) => Promise<T>;
const direct: Lane = (fn) => fn();

/**
 * Reads every customer and site from N-central into ncentral_org_units: new ones arrive unmatched, renamed ones
 * are renamed (and so are the portal clients created from them), and only rows that changed are written.
 */
export async function refreshOrgUnits(
  db: Kysely<DB>,
  tenantId: string,
  source: NcentralSource,
  clock: Clock,
  lane: Lane = direct,
): Promise<{ customers: number; sites: number }> {
  const listed: OrgUnitWrite[] = [];
  for await (const page of source.customers()) {
    for (const c of page.items) listed.push({ orgUnitId: c.customerId, kind: 'customer', name: c.customerName, parentId: c.soId });
  }
  let sites = 0;
  for await (const page of source.sites()) {
    for (const s of page.items) listed.push({ orgUnitId: s.siteId, kind: 'site', name: s.siteName, parentId: s.customerId });
    sites += page.items.length;
  }
  const at = clock.now();
  await lane(() =>
    db.transaction().execute(async (trx) => {
      const known = new Map((await listOrgUnits(trx, tenantId)).map((u) => [u.org_unit_id, u]));
      const seen = new Set<string>();
      const changed: OrgUnitWrite[] = [];
      const renamed: { externalId: string; name: string }[] = [];
      for (const u of listed) {
        if (seen.has(u.orgUnitId)) continue;
        seen.add(u.orgUnitId);
        const k = known.get(u.orgUnitId);
        if (!k || k.name !== u.name || k.parent_id !== u.parentId || k.kind !== u.kind || k.gone_at !== null) changed.push(u);
        if (k && k.name !== u.name) renamed.push({ externalId: u.orgUnitId, name: u.name });
      }
      await upsertOrgUnits(trx, tenantId, changed, at);
      await renameSourcedClients(trx, tenantId, SOURCE, renamed, at);
      // Both lists were read to the end: what is missing is gone (its portal client stays; people decide).
      const gone = [...known.values()].filter((k) => k.gone_at === null && !seen.has(k.org_unit_id)).map((k) => k.org_unit_id);
      await markOrgUnitsGone(trx, tenantId, gone, at);
    }),
  );
  return { customers: listed.length - sites, sites };
}

/** Which units become portal clients: customers always; sites only when each site is its own client. */
export const plannedKinds = (assetsUnderParent: boolean): ('customer' | 'site')[] => (assetsUnderParent ? ['customer'] : ['customer', 'site']);

/**
 * Commits the "to create" decisions: one portal client per unit (reusing one this source already created for it,
 * so a replay never duplicates), then the unit is matched to it. Returns how many clients were created.
 */
export async function applyPlan(trx: Transaction<DB>, tenantId: string, assetsUnderParent: boolean, at: Date): Promise<number> {
  const kinds = plannedKinds(assetsUnderParent);
  const units = (await listOrgUnits(trx, tenantId)).filter((u) => u.state === 'to_create' && u.gone_at === null && kinds.includes(u.kind));
  if (units.length === 0) return 0;
  const existing = new Map(
    (await listPortalClients(trx, tenantId)).filter((c) => c.source === SOURCE && c.external_id !== null).map((c) => [c.external_id as string, c.id]),
  );
  const fresh = units.filter((u) => !existing.has(u.org_unit_id)).map((u) => ({ id: randomUUID(), name: u.name.trim(), source: SOURCE, externalId: u.org_unit_id, at }));
  await insertPortalClients(trx, tenantId, fresh);
  for (const f of fresh) existing.set(f.externalId, f.id);
  await setOrgUnitStates(
    trx,
    tenantId,
    units.map((u) => ({ orgUnitId: u.org_unit_id, state: 'matched' as const, portalClientId: existing.get(u.org_unit_id) ?? null, note: null })),
    at,
  );
  return fresh.length;
}
