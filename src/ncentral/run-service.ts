import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditActor } from '../audit/audit-entry.js';
import type { Clock } from '../clock.js';
import { findConnection, findRun, hasSucceededJob, listRuns, listScheduledConnections, RunAlreadyActive } from '../store/ncentral.js';
import type { DB, NcentralConnection, NcentralSyncRun, SyncTrigger, Tenant } from '../store/tables.js';
import { connectionTarget, NCENTRAL_ACTIONS } from './audit-trail.js';
import type { ConnectionSecret, NcentralConnector } from './connector.js';
import { auditedAction } from './audit-service.js';
import { nightlyCron, nightlyJobName } from './schedule.js';
import { NcentralServiceError } from './service-error.js';
import type { SyncProgress } from './sync.js';
import { runSync, type SyncSettings } from './sync-service.js';

/** What the scheduler offers this feature: a named daily job, exactly once across replicas. */
export interface JobScheduler {
  register(name: string, cron: string, timeZone: string, handler: (job: { id: string }) => Promise<void>): Promise<void>;
}

export interface NcentralRunsDeps {
  db: Kysely<DB>;
  clock: Clock;
  log: Logger;
  connector: NcentralConnector;
  /** The tenant's connection, or NcentralServiceError('notConnected'). */
  connection(tenantId: string): Promise<NcentralConnection>;
  tenant(tenantId: string): Promise<Pick<Tenant, 'time_zone'>>;
  secretOf(c: NcentralConnection): ConnectionSecret;
}

/**
 * The scheduler's nightly run, as the audit trail names who started it (the shape of request-actor.ts's
 * systemActor(), built here because that module reads console types, and the console imports this feature).
 */
export const NIGHTLY_SYNC_ACTOR: AuditActor = { type: 'system', id: 'ncentral.nightly-sync' };

const settingsOf = (c: NcentralConnection): SyncSettings => ({
  deviceSync: c.device_sync,
  assetsUnderParent: c.assets_under_parent,
  ignoreSyncRequirements: c.ignore_sync_requirements,
});

/**
 * Sync runs and their scheduling, moved out of the façade (service.ts): starting a run (waited for or in the
 * background), the nightly job per finished tenant, run history, and draining background runs at shutdown.
 */
export class NcentralRuns {
  private readonly background = new Set<Promise<unknown>>();
  private scheduler: JobScheduler | undefined;

  constructor(private readonly deps: NcentralRunsDeps) {}


  /**
   * Starts a run; with `wait` resolves when it ends, else as soon as it is recorded as running. Who started it is
   * an audit entry committed with the run's record; a run refused (not connected, one already running) is a
   * failure entry.
   */
  sync(
    tenantId: string,
    trigger: SyncTrigger,
    options: { actor: AuditActor; wait?: boolean; jobKey?: string; onProgress?: (p: SyncProgress) => void },
  ): Promise<NcentralSyncRun> {
    const audit = { tenantId, actor: options.actor, action: NCENTRAL_ACTIONS.sync, target: connectionTarget(tenantId) };
    return auditedAction(this.deps.db, audit, () => this.start(tenantId, trigger, options));
  }

  private async start(
    tenantId: string,
    trigger: SyncTrigger,
    options: { actor: AuditActor; wait?: boolean; jobKey?: string; onProgress?: (p: SyncProgress) => void },
  ): Promise<NcentralSyncRun> {
    const c = await this.deps.connection(tenantId);
    const source = this.deps.connector.open(this.deps.secretOf(c));
    let started!: (runId: string) => void;
    const startedP = new Promise<string>((r) => (started = r));
    const runId = crypto.randomUUID();
    const work = runSync(
      { db: this.deps.db, clock: this.deps.clock, log: this.deps.log },
      {
        tenantId,
        trigger,
        jobKey: options.jobKey ?? null,
        runId,
        settings: settingsOf(c),
        source,
        startedBy: options.actor,
        onProgress: (p) => {
          if (p.phase !== 'starting') started(runId);
          options.onProgress?.(p);
        },
      },
    ).finally(() => source.close());
    if (options.wait) {
      try {
        return await work;
      } catch (err) {
        throw this.translate(err);
      }
    }
    this.track(work);
    // Either the run is recorded (first progress) or it refused to start (already running).
    const first = await Promise.race([startedP, work.then(() => runId, (err: unknown) => Promise.reject(this.translate(err)))]);
    return this.run(tenantId, first);
  }

  /** The scheduler's entry point: a job delivered twice never runs a second time once it has succeeded. */
  async runScheduled(tenantId: string, jobKey: string): Promise<NcentralSyncRun | null> {
    const c = await findConnection(this.deps.db, tenantId);
    if (!c?.finished_at) return null;
    if (await hasSucceededJob(this.deps.db, tenantId, jobKey)) return null;
    try {
      return await this.sync(tenantId, 'scheduled', { actor: NIGHTLY_SYNC_ACTOR, wait: true, jobKey });
    } catch (err) {
      if (err instanceof NcentralServiceError && err.code === 'alreadyRunning') {
        this.deps.log.info({ tenantId }, 'nightly N-central sync skipped: a run is already in progress');
        return null;
      }
      throw err;
    }
  }

  async runs(tenantId: string, limit = 20): Promise<NcentralSyncRun[]> {
    await this.deps.connection(tenantId);
    return listRuns(this.deps.db, tenantId, Math.max(1, Math.min(200, limit)));
  }

  async run(tenantId: string, runId: string): Promise<NcentralSyncRun> {
    const run = await findRun(this.deps.db, tenantId, runId);
    if (!run) throw new NcentralServiceError('notFound', `No sync run ${runId} for this tenant.`);
    return run;
  }


  /** Registers every finished tenant's nightly run; called at start-up and again from time to time for new ones. */
  async attachScheduler(scheduler: JobScheduler): Promise<void> {
    this.scheduler = scheduler;
    for (const s of await listScheduledConnections(this.deps.db)) await this.register(s.tenantId, s.syncTime, s.timeZone);
  }

  async scheduleTenant(tenantId: string): Promise<void> {
    if (!this.scheduler) return;
    const tenant = await this.deps.tenant(tenantId);
    const c = await this.deps.connection(tenantId);
    await this.register(tenantId, c.sync_time, tenant.time_zone);
  }

  private async register(tenantId: string, syncTime: string, timeZone: string): Promise<void> {
    await this.scheduler?.register(nightlyJobName(tenantId), nightlyCron(syncTime), timeZone, async (job) => {
      await this.runScheduled(tenantId, job.id);
    });
  }

  /** Waits for runs started without `wait` (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch(() => undefined);
    this.background.add(guarded);
    void guarded.finally(() => this.background.delete(guarded));
  }

  private translate(err: unknown): unknown {
    if (err instanceof RunAlreadyActive) return new NcentralServiceError('alreadyRunning', err.message);
    return err;
  }
}
