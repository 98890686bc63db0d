import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import type {
  DB,
  MappingState,
  NcentralConnection,
  NcentralConnectionsTable,
  NcentralDeviceRow,
  NcentralOrgUnit,
  NcentralSyncRun,
  SyncTrigger,
} from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

// ---- connection -------------------------------------------------------------------------------------------------

export interface ConnectionWrite {
  baseUrl: string;
  tokenSealed: string;
  caPem: string | null;
  deviceSync: boolean;
  assetsUnderParent: boolean;
  ignoreSyncRequirements: boolean;
  syncTime: string;
}

export async function upsertConnection(db: Db, tenantId: string, c: ConnectionWrite, at: Date): Promise<void> {
  const values = {
    base_url: c.baseUrl,
    token_sealed: c.tokenSealed,
    ca_pem: c.caPem,
    device_sync: c.deviceSync,
    assets_under_parent: c.assetsUnderParent,
    ignore_sync_requirements: c.ignoreSyncRequirements,
    sync_time: c.syncTime,
    updated_at: at,
  };
  await db
    .insertInto('ncentral_connections')
    .values({ tenant_id: tenantId, ...values, created_at: at })
    // A new URL or token invalidates an earlier verification.
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ ...values, verified_at: null, ncentral_version: null }))
    .execute();
}

export async function findConnection(db: Db, tenantId: string): Promise<NcentralConnection | undefined> {
  return db.selectFrom('ncentral_connections').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
}

export async function updateConnection(db: Db, tenantId: string, patch: Updateable<NcentralConnectionsTable>): Promise<boolean> {
  const res = await db.updateTable('ncentral_connections').set(patch).where('tenant_id', '=', tenantId).executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

/** Tenants whose plan is finished (so they sync nightly), with their time zone and sync time. */
export async function listScheduledConnections(db: Db): Promise<{ tenantId: string; syncTime: string; timeZone: string }[]> {
  const rows = await db
    .selectFrom('ncentral_connections as c')
    .innerJoin('tenants as t', 't.id', 'c.tenant_id')
    .select(['c.tenant_id', 'c.sync_time', 't.time_zone'])
    .where('c.finished_at', 'is not', null)
    .where('t.status', '=', 'active')
    .execute();
  return rows.map((r) => ({ tenantId: r.tenant_id, syncTime: r.sync_time, timeZone: r.time_zone }));
}

// ---- customers and sites ----------------------------------------------------------------------------------------

export async function listOrgUnits(db: Db, tenantId: string): Promise<NcentralOrgUnit[]> {
  return db
    .selectFrom('ncentral_org_units')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('kind')
    .orderBy(sql`lower(name)`)
    .orderBy('org_unit_id')
    .execute();
}

export async function findOrgUnit(db: Db, tenantId: string, orgUnitId: string): Promise<NcentralOrgUnit | undefined> {
  return db.selectFrom('ncentral_org_units').selectAll().where('tenant_id', '=', tenantId).where('org_unit_id', '=', orgUnitId).executeTakeFirst();
}

export interface OrgUnitWrite {
  orgUnitId: string;
  kind: 'customer' | 'site';
  name: string;
  parentId: string;
}

/** Inserts new customers/sites (unmatched) and updates the names and parents of known ones; callers pass only changes. */
export async function upsertOrgUnits(db: Db, tenantId: string, units: OrgUnitWrite[], at: Date): Promise<void> {
  for (let i = 0; i < units.length; i += 500) {
    const batch = units.slice(i, i + 500);
    await db
      .insertInto('ncentral_org_units')
      .values(
        batch.map((u) => ({
          tenant_id: tenantId,
          org_unit_id: u.orgUnitId,
          kind: u.kind,
          name: u.name,
          parent_id: u.parentId,
          created_at: at,
          updated_at: at,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'org_unit_id']).doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          parent_id: eb.ref('excluded.parent_id'),
          kind: eb.ref('excluded.kind'),
          gone_at: null,
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

export async function markOrgUnitsGone(db: Db, tenantId: string, orgUnitIds: string[], at: Date): Promise<void> {
  if (orgUnitIds.length === 0) return;
  await db
    .updateTable('ncentral_org_units')
    .set({ gone_at: at, updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('org_unit_id', 'in', orgUnitIds)
    .where('gone_at', 'is', null)
    .execute();
}

export async function setOrgUnitStates(
  db: Db,
  tenantId: string,
  changes: { orgUnitId: string; state: MappingState; portalClientId: string | null; note: string | null }[],
  at: Date,
): Promise<void> {
  for (const c of changes) {
    await db
      .updateTable('ncentral_org_units')
      .set({ state: c.state, portal_client_id: c.portalClientId, note: c.note, updated_at: at })
      .where('tenant_id', '=', tenantId)
      .where('org_unit_id', '=', c.orgUnitId)
      .execute();
  }
}

export async function setOrgUnitNotes(db: Db, tenantId: string, notes: { orgUnitId: string; note: string | null }[], at: Date): Promise<void> {
  for (const n of notes) {
    await db
      .updateTable('ncentral_org_units')
      .set({ note: n.note, updated_at: at })
      .where('tenant_id', '=', tenantId)
      .where('org_unit_id', '=', n.orgUnitId)
      .where((eb) => eb('note', 'is distinct from', n.note))
      .execute();
  }
}

// ---- devices (the diff baseline) --------------------------------------------------------------------------------

export async function loadDevices(db: Db, tenantId: string, deviceIds: string[]): Promise<NcentralDeviceRow[]> {
  if (deviceIds.length === 0) return [];
  return db.selectFrom('ncentral_devices').selectAll().where('tenant_id', '=', tenantId).where('device_id', 'in', deviceIds).execute();
}

export interface DeviceWrite {
  deviceId: string;
  fingerprint: string;
  assetId: string;
  linked: boolean;
  portalClientId: string;
}

export async function upsertDevices(db: Db, tenantId: string, devices: DeviceWrite[], at: Date): Promise<void> {
  if (devices.length === 0) return;
  await db
    .insertInto('ncentral_devices')
    .values(
      devices.map((d) => ({
        tenant_id: tenantId,
        device_id: d.deviceId,
        fingerprint: d.fingerprint,
        asset_id: d.assetId,
        linked: d.linked,
        portal_client_id: d.portalClientId,
        removed_at: null,
        updated_at: at,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'device_id']).doUpdateSet((eb) => ({
        fingerprint: eb.ref('excluded.fingerprint'),
        asset_id: eb.ref('excluded.asset_id'),
        linked: eb.ref('excluded.linked'),
        portal_client_id: eb.ref('excluded.portal_client_id'),
        removed_at: null,
        removed_because: null,
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/** Every device id the baseline holds as present, for the end-of-pass removal check. */
export async function listActiveDeviceIds(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db.selectFrom('ncentral_devices').select('device_id').where('tenant_id', '=', tenantId).where('removed_at', 'is', null).execute();
  return rows.map((r) => r.device_id);
}

/** Marks devices removed, each with the answer of N-central that confirmed it (`removed_because`). */
export async function markDevicesRemoved(
  db: Db,
  tenantId: string,
  devices: { deviceId: string; because: string }[],
  at: Date,
): Promise<{ deviceId: string; assetId: string; linked: boolean }[]> {
  const out: { deviceId: string; assetId: string; linked: boolean }[] = [];
  const byReason = new Map<string, string[]>();
  for (const d of devices) byReason.set(d.because, [...(byReason.get(d.because) ?? []), d.deviceId]);
  for (const [because, deviceIds] of byReason) {
    const rows = await db
      .updateTable('ncentral_devices')
      .set({ removed_at: at, removed_because: because, updated_at: at })
      .where('tenant_id', '=', tenantId)
      .where('device_id', 'in', deviceIds)
      .where('removed_at', 'is', null)
      .returning(['device_id', 'asset_id', 'linked'])
      .execute();
    out.push(...rows.map((r) => ({ deviceId: r.device_id, assetId: r.asset_id, linked: r.linked })));
  }
  return out;
}

export async function countDevicesByClient(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('ncentral_devices')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---- runs -------------------------------------------------------------------------------------------------------

export type RunCounts = Record<
  'created' | 'linked' | 'updated' | 'unchanged' | 'removed' | 'skipped' | 'clients_created' | 'pages' | 'retries' | 'devices_seen',
  number
>;

export class RunAlreadyActive extends Error {
  override name = 'RunAlreadyActive';
  constructor(readonly runId: string) {
    super(`a sync is already running for this tenant (run ${runId})`);
  }
}

/**
 * Starts a run, or throws RunAlreadyActive: the partial unique index on status='running' makes two runs for one
 * tenant impossible even across replicas. A 'running' row whose heartbeat stopped (its process died) is closed
 * as failed first, so a crash never blocks the tenant. `alongside` writes in the same transaction as the run's
 * record (its audit entry), so a run refused writes neither.
 */
export async function startRun(
  db: Kysely<DB>,
  tenantId: string,
  run: { id: string; trigger: SyncTrigger; jobKey: string | null },
  at: Date,
  staleBefore: Date,
  alongside: (trx: Transaction<DB>) => Promise<void> = async () => undefined,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('ncentral_sync_runs')
      .set({ status: 'failed', ended_at: at, error: 'interrupted: the process running it stopped before it finished' })
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', staleBefore)
      .execute();
    // `on conflict do nothing` (any unique index, the partial one included) keeps the transaction usable.
    const inserted = await trx
      .insertInto('ncentral_sync_runs')
      .values({ tenant_id: tenantId, id: run.id, trigger: run.trigger, job_key: run.jobKey, status: 'running', started_at: at, heartbeat_at: at })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const active = await trx
        .selectFrom('ncentral_sync_runs')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      throw new RunAlreadyActive(active?.id ?? 'unknown');
    }
    await alongside(trx);
  });
}

export async function hasSucceededJob(db: Db, tenantId: string, jobKey: string): Promise<boolean> {
  const row = await db
    .selectFrom('ncentral_sync_runs')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('job_key', '=', jobKey)
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  return row !== undefined;
}

export async function updateRunProgress(
  db: Db,
  tenantId: string,
  runId: string,
  progress: Partial<RunCounts> & { phase?: string; devices_total?: number | null },
  at: Date,
): Promise<void> {
  await db
    .updateTable('ncentral_sync_runs')
    .set({ ...progress, heartbeat_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', runId)
    .execute();
}

export async function finishRun(
  db: Db,
  tenantId: string,
  runId: string,
  end: Partial<RunCounts> & {
    status: 'succeeded' | 'failed';
    error: string | null;
    error_code?: string | null;
    removal_answers?: Record<string, number>;
    devices_total?: number | null;
  },
  at: Date,
): Promise<void> {
  await db
    .updateTable('ncentral_sync_runs')
    .set({ ...end, ...(end.removal_answers === undefined ? {} : { removal_answers: JSON.stringify(end.removal_answers) }), phase: 'done', ended_at: at, heartbeat_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', runId)
    .execute();
}

export async function findRun(db: Db, tenantId: string, runId: string): Promise<NcentralSyncRun | undefined> {
  return db.selectFrom('ncentral_sync_runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', runId).executeTakeFirst();
}

export async function listRuns(db: Db, tenantId: string, limit: number): Promise<NcentralSyncRun[]> {
  return db
    .selectFrom('ncentral_sync_runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
