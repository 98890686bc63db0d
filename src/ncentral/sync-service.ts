import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AuditActor } from '../audit/audit-entry.js';
import type { Clock } from '../clock.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import { insertAssetChanges, type AssetChangeWrite } from '../store/asset-changes.js';
import { findAssetsForUpdate, findLinkCandidates, markAssetsRemoved, moveAssets, upsertAssets, type AssetWrite } from '../store/assets.js';
import {
  findRun,
  finishRun,
  listActiveDeviceIds,
  listOrgUnits,
  loadDevices,
  markDevicesRemoved,
  startRun,
  updateRunProgress,
  upsertDevices,
  type DeviceWrite,
} from '../store/ncentral.js';
import type { DB, NcentralDeviceRow, NcentralSyncRun, SyncTrigger } from '../store/tables.js';
import { createdChange, linkedChange, movedChange, removedChange, updatedChange } from './asset-changes.js';
import { chooseLink, deviceFingerprint, diffDevice, targetFor, usableSerial, type UnitMapping } from './device-diff.js';
import { NCENTRAL_ACTIONS } from './audit-trail.js';
import { applyPlan, refreshOrgUnits } from './directory-service.js';
import { NcentralError } from './client-error.js';
import type { DeviceAnswer, NcentralSource, SourceDevice, SourceDeviceAssets } from './source.js';
import { createLane, createTaskPool, prefetched, zeroCounts, type SyncCounts, type SyncProgress } from './sync.js';

export const NCENTRAL_SOURCE = 'ncentral';

export interface SyncSettings {
  deviceSync: boolean;
  assetsUnderParent: boolean;
  ignoreSyncRequirements: boolean;
}

export interface SyncContext {
  db: Kysely<DB>;
  clock: Clock;
  log: Logger;
}

export interface RunRequest {
  tenantId: string;
  trigger: SyncTrigger;
  /** The scheduler job's key: the same job delivered twice starts no second run once one has succeeded. */
  jobKey?: string | null;
  runId?: string;
  settings: SyncSettings;
  source: NcentralSource;
  onProgress?: (p: SyncProgress) => void;
  /**
   * Who started the run (a person, the CLI, the scheduler): recorded in the audit trail in the transaction that
   * records the run. The service always says; benchmarks and tests driving a sync directly may not.
   */
  startedBy?: AuditActor;
  /** Rows per multi-row upsert. */
  batchSize?: number;
  /** Assets calls kept in flight by the sync (the client still enforces N-central's per-endpoint limit). */
  assetsInFlight?: number;
}

/** A heartbeat older than this means the process running the sync died; the next run may take over. */
export const STALE_RUN_MS = 5 * 60_000;

interface Pending {
  device: SourceDevice;
  fingerprint: string;
  portalClientId: string;
  known: NcentralDeviceRow | undefined;
  assets: SourceDeviceAssets | null;
}

/**
 * Starts a run record (or throws RunAlreadyActive) and performs the sync; the run ends as succeeded or failed
 * with its counts. Work written before a failure stays written (each batch commits), so the next run resumes.
 */
export async function runSync(ctx: SyncContext, req: RunRequest): Promise<NcentralSyncRun> {
  const runId = req.runId ?? randomUUID();
  const now = ctx.clock.now();
  const startedBy = req.startedBy;
  await startRun(ctx.db, req.tenantId, { id: runId, trigger: req.trigger, jobKey: req.jobKey ?? null }, now, new Date(now.getTime() - STALE_RUN_MS), async (trx) => {
    if (startedBy) {
      await appendAuditEntry(trx, {
        tenantId: req.tenantId,
        actor: startedBy,
        action: NCENTRAL_ACTIONS.sync,
        target: { type: 'ncentral_sync_run', id: runId },
        outcome: 'success',
        detail: { trigger: req.trigger, ...(req.jobKey ? { jobKey: req.jobKey } : {}) },
      });
    }
  });
  const lane = createLane();
  const counts = zeroCounts();
  const progress: SyncProgress = { ...counts, phase: 'starting', devicesTotal: null };
  const report = (phase?: SyncProgress['phase']): void => {
    Object.assign(progress, counts, { retries: req.source.retries() });
    if (phase) progress.phase = phase;
    req.onProgress?.({ ...progress });
  };
  const saveProgress = (): Promise<void> =>
    lane(() =>
      updateRunProgress(ctx.db, req.tenantId, runId, { ...counts, retries: req.source.retries(), phase: progress.phase, devices_total: progress.devicesTotal }, ctx.clock.now()),
    );
  // Keeps the heartbeat fresh while a long page of assets calls is in flight.
  const heartbeat = setInterval(() => void saveProgress().catch(() => undefined), 30_000);
  heartbeat.unref();
  let error: string | null = null;
  let errorCode: string | null = null;
  const answers: Record<string, number> = {};
  try {
    await syncPass(ctx, { ...req, runId }, lane, counts, progress, report, saveProgress, answers);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    // The kind says what went wrong in a word a script can act on: `serverMisbehaved` when a read cap was hit.
    errorCode = err instanceof NcentralError ? err.kind : null;
    ctx.log.warn({ tenantId: req.tenantId, runId, errorCode, err: { message: error } }, 'N-central sync failed');
  } finally {
    clearInterval(heartbeat);
  }
  report('done');
  await lane(() =>
    finishRun(
      ctx.db,
      req.tenantId,
      runId,
      {
        ...counts,
        retries: req.source.retries(),
        status: error ? 'failed' : 'succeeded',
        error,
        error_code: errorCode,
        removal_answers: answers,
        devices_total: progress.devicesTotal,
      },
      ctx.clock.now(),
    ),
  );
  const run = await findRun(ctx.db, req.tenantId, runId);
  if (!run) throw new Error(`The sync run ${runId} vanished before it was read back.`);
  ctx.log.info({ tenantId: req.tenantId, runId, status: run.status, created: run.created, updated: run.updated, removed: run.removed }, 'N-central sync ended');
  return run;
}

async function syncPass(
  ctx: SyncContext,
  req: RunRequest & { runId: string },
  lane: <T>(fn: () => Promise<T>) => Promise<T>,
  counts: SyncCounts,
  progress: SyncProgress,
  report: (phase?: SyncProgress['phase']) => void,
  saveProgress: () => Promise<void>,
  answers: Record<string, number>,
): Promise<void> {
  const { db, clock } = ctx;
  const { tenantId, settings, source } = req;
  report('customers');
  await saveProgress();
  await refreshOrgUnits(db, tenantId, source, clock, lane);
  counts.clients_created += await lane(() => db.transaction().execute((trx) => applyPlan(trx, tenantId, settings.assetsUnderParent, clock.now())));
  if (!settings.deviceSync) return;

  const units = new Map<string, UnitMapping>();
  for (const u of await lane(() => listOrgUnits(db, tenantId))) {
    if (u.gone_at) continue;
    units.set(u.org_unit_id, { kind: u.kind, parentId: u.parent_id, state: u.state, portalClientId: u.portal_client_id });
  }

  report('devices');
  const batchSize = req.batchSize ?? 500;
  // Generous: a retried call sleeps (backoff) while holding its slot; the client enforces N-central's real limit.
  const pool = createTaskPool(req.assetsInFlight ?? 256);
  const seen = new Set<string>();
  let pending: Pending[] = [];
  const moves: Pending[] = [];
  const flush = async (): Promise<void> => {
    const batch = pending.splice(0, pending.length);
    const moved = moves.splice(0, moves.length);
    if (batch.length === 0 && moved.length === 0) return;
    const result = await lane(() => db.transaction().execute((trx) => writeBatch(trx, tenantId, req.runId, settings, batch, moved, clock.now())));
    counts.created += result.created;
    counts.linked += result.linked;
    counts.updated += result.updated;
  };

  try {
  for await (const page of source.devices()) {
    counts.pages++;
    progress.devicesTotal = page.totalItems;
    // Offset paging over live data can show a device twice (ncentral-api.md §9.4): the first sighting wins.
    const fresh = page.items.filter((d) => !seen.has(d.deviceId));
    for (const d of fresh) seen.add(d.deviceId);
    counts.devices_seen = seen.size;
    const targeted: { device: SourceDevice; portalClientId: string }[] = [];
    for (const device of fresh) {
      const target = targetFor(device, units, settings.assetsUnderParent);
      if ('skip' in target) counts.skipped++;
      else targeted.push({ device, portalClientId: target.portalClientId });
    }
    const known = new Map((await lane(() => loadDevices(db, tenantId, targeted.map((t) => t.device.deviceId)))).map((r) => [r.device_id, r]));
    for (const { device, portalClientId } of targeted) {
      const row = known.get(device.deviceId);
      const fingerprint = deviceFingerprint(device);
      const action = diffDevice(fingerprint, row && { fingerprint: row.fingerprint, portalClientId: row.portal_client_id, removed: row.removed_at !== null }, portalClientId);
      if (action === 'unchanged') {
        counts.unchanged++;
        continue;
      }
      const item: Pending = { device, fingerprint, portalClientId, known: row, assets: null };
      if (action === 'move') {
        moves.push(item);
        continue;
      }
      // One request per device: only new or changed devices pay for it.
      await pool.add(async () => {
        item.assets = await source.deviceAssets(device.deviceId);
        pending.push(item);
        if (pending.length >= batchSize) await flush();
      });
    }
    // Each page's finished work is committed before the next page: a crash loses at most what is in flight.
    await flush();
    report();
    await saveProgress();
  }
  await pool.drain();
  await flush();
  } catch (err) {
    // Keep what was fetched before the failure, so the next run does not pay for it again.
    await pool.drain().catch(() => undefined);
    await flush();
    throw err;
  }
  report();

  // The pass completed: only now may devices be marked removed, and only once N-central confirms each.
  report('removals');
  await saveProgress();
  const missing = (await lane(() => listActiveDeviceIds(db, tenantId))).filter((id) => !seen.has(id));
  // An empty list where devices used to be is the sign of lost device rights or an unaccepted EULA
  // (ncentral-api.md §9.11), not of an empty estate: never turn it into mass removal.
  if (seen.size === 0 && missing.length > 0) {
    throw new Error(`N-central listed no devices although ${missing.length} were synced before; nothing was marked removed. Check the API user's "All Devices" read right and that it has accepted the EULA (run verify).`);
  }
  const confirmed: { deviceId: string; because: string }[] = [];
  const confirmPool = createTaskPool(8);
  for (const id of missing) {
    await confirmPool.add(async () => {
      const answer = await askAboutDevice(source, id);
      answers[answer] = (answers[answer] ?? 0) + 1;
      if (removalConfirmed(answer)) confirmed.push({ deviceId: id, because: answer });
    });
  }
  await confirmPool.drain();
  if (confirmed.length > 0) {
    const at = clock.now();
    await lane(() =>
      db.transaction().execute(async (trx) => {
        const removed = await markDevicesRemoved(trx, tenantId, confirmed, at);
        const own = removed.filter((r) => !r.linked).map((r) => r.deviceId);
        const marked = await markAssetsRemoved(trx, tenantId, NCENTRAL_SOURCE, own, at);
        const because = new Map(confirmed.map((c) => [c.deviceId, c.because]));
        // The change records commit with the removals they describe.
        await insertAssetChanges(trx, tenantId, req.runId, marked.map((m) => removedChange(m.id, m.externalId, because.get(m.externalId) ?? 'unknown')), at);
        counts.removed += removed.length;
      }),
    );
  }
  report();
}

/**
 * 404, a deleted flag, and "no permission" with a working token all mean the device has left what this tenant's API
 * user sees in N-central; the removal is undone by the next run that lists it again. `present` (the listing skipped
 * it) and no answer at all keep the device.
 */
function removalConfirmed(answer: DeviceAnswer | 'unanswered'): answer is 'notFound' | 'deleted' | 'noPermission' {
  return answer === 'notFound' || answer === 'deleted' || answer === 'noPermission';
}

/** One device's answer; a failed lookup keeps the device (it is asked again next run) instead of failing the run. */
async function askAboutDevice(source: NcentralSource, id: string): Promise<DeviceAnswer | 'unanswered'> {
  try {
    return await source.lookUpDevice(id);
  } catch {
    return 'unanswered';
  }
}

async function writeBatch(
  trx: Transaction<DB>,
  tenantId: string,
  runId: string,
  settings: SyncSettings,
  batch: Pending[],
  moved: Pending[],
  at: Date,
): Promise<{ created: number; linked: number; updated: number }> {
  let created = 0;
  let linked = 0;
  let updated = 0;
  const deviceRows: DeviceWrite[] = [];
  const assetRows: AssetWrite[] = [];
  const asAsset = (p: Pending, id: string): AssetWrite => ({
    id,
    portalClientId: p.portalClientId,
    source: NCENTRAL_SOURCE,
    externalId: p.device.deviceId,
    name: p.device.longName,
    serialNumber: usableSerial(p.assets?.serialNumber),
    macAddresses: p.assets?.macAddresses ?? [],
    model: p.assets?.model ?? null,
    manufacturer: p.assets?.manufacturer ?? null,
    osName: p.assets?.osName ?? p.device.supportedOs,
    deviceClass: p.device.deviceClass,
    ncentralCustomerId: p.device.customerId,
    ncentralSiteId: p.device.siteId,
    lastCheckIn: p.device.lastApplianceCheckinTime,
  });
  const changes: AssetChangeWrite[] = [];

  const byDevice = new Map(batch.map((b) => [b.device.deviceId, b]));
  const fresh = batch.filter((p) => !p.known);
  const links = new Map<string, string>();
  if (!settings.ignoreSyncRequirements && fresh.length > 0) {
    const serials = [...new Set(fresh.map((p) => usableSerial(p.assets?.serialNumber)).filter((s): s is string => s !== null))];
    const names = fresh.map((p) => ({ portalClientId: p.portalClientId, name: p.device.longName }));
    const candidates = (await findLinkCandidates(trx, tenantId, NCENTRAL_SOURCE, serials, names)).map((c) => ({
      id: c.id,
      portalClientId: c.portal_client_id,
      name: c.name,
      serialNumber: c.serial_number,
    }));
    if (candidates.length > 0) {
      for (const p of fresh) {
        const hit = chooseLink(p.device, p.assets, p.portalClientId, candidates);
        if (hit) links.set(p.device.deviceId, hit.id);
      }
    }
  }

  for (const p of batch) {
    const linkedTo = p.known?.linked ? p.known.asset_id : links.get(p.device.deviceId);
    if (linkedTo) {
      // Another source owns that asset: record the link, never overwrite its data.
      deviceRows.push({ deviceId: p.device.deviceId, fingerprint: p.fingerprint, assetId: linkedTo, linked: true, portalClientId: p.portalClientId });
      if (p.known) updated++;
      else {
        linked++;
        changes.push(linkedChange(linkedTo, p.device.deviceId));
      }
      continue;
    }
    assetRows.push(asAsset(p, p.known?.asset_id ?? randomUUID()));
    if (p.known) updated++;
    else created++;
  }
  const ownMoves = moved.filter((m) => m.known && !m.known.linked);
  // What the rows looked like before this batch: each update's change record says old → new.
  const before = new Map(
    (await findAssetsForUpdate(trx, tenantId, [
      ...assetRows.filter((a) => byDevice.get(a.externalId)?.known).map((a) => a.id),
      ...ownMoves.map((m) => (m.known as NcentralDeviceRow).asset_id),
    ])).map((a) => [a.id, a]),
  );
  const stored = await upsertAssets(trx, tenantId, assetRows, at);
  for (const a of assetRows) {
    const old = before.get(a.id);
    const change = old ? updatedChange(old, a) : createdChange(a, stored.get(a.externalId) ?? a.id);
    if (change) changes.push(change);
  }
  for (const a of assetRows) {
    const p = byDevice.get(a.externalId);
    if (!p) continue;
    deviceRows.push({ deviceId: a.externalId, fingerprint: p.fingerprint, assetId: stored.get(a.externalId) ?? a.id, linked: false, portalClientId: p.portalClientId });
  }
  for (const m of ownMoves) {
    const old = before.get((m.known as NcentralDeviceRow).asset_id);
    const change = old && movedChange(old, m.portalClientId);
    if (change) changes.push(change);
  }
  await moveAssets(trx, tenantId, ownMoves.map((m) => ({ assetId: (m.known as NcentralDeviceRow).asset_id, portalClientId: m.portalClientId })), at);
  for (const m of moved) {
    if (!m.known) continue;
    deviceRows.push({ deviceId: m.device.deviceId, fingerprint: m.fingerprint, assetId: m.known.asset_id, linked: m.known.linked, portalClientId: m.portalClientId });
    updated++;
  }
  await upsertDevices(trx, tenantId, deviceRows, at);
  await insertAssetChanges(trx, tenantId, runId, changes, at);
  return { created, linked, updated };
}
