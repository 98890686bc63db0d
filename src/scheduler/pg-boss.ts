import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { JOB_NAME, type JobHandler, type Scheduler } from './scheduler.js';

export interface PgBossSchedulerOptions {
  connectionString: string;
  /** pg-boss keeps its tables in a schema of its own. */
  schema: string;
  log: Logger;
  /** Connections pg-boss may hold. */
  poolMax?: number;
  /** How often the cron monitor and the workers poll; shorter only in tests. */
  pollSeconds?: number;
  /** A run may take hours (100,000 devices); past this pg-boss would hand the job to another worker. */
  expireInSeconds?: number;
}

/**
 * pg-boss 10 (its 11/12 need Node 22): one queue per job name (its schedules are keyed by queue), cron evaluated
 * by whichever instance holds the minute's slot, and a job fetched by exactly one worker (SKIP LOCKED).
 */
export class PgBossScheduler implements Scheduler {
  readonly kind = 'pg-boss' as const;
  private readonly boss: PgBoss;
  private readonly handlers = new Map<string, JobHandler>();
  private started = false;

  constructor(private readonly options: PgBossSchedulerOptions) {
    const poll = options.pollSeconds;
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema,
      max: options.poolMax ?? 3,
      application_name: 'portal-provisioning-scheduler',
      ...(poll ? { cronMonitorIntervalSeconds: Math.max(1, poll), cronWorkerIntervalSeconds: Math.max(1, poll), clockMonitorIntervalSeconds: 60 } : {}),
    });
    this.boss.on('error', (err: Error) => options.log.warn({ err: { message: err.message } }, 'scheduler (pg-boss) error'));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 30_000 });
  }

  async register(name: string, cron: string, timeZone: string, handler: JobHandler): Promise<void> {
    if (!JOB_NAME.test(name)) throw new RangeError(`invalid job name "${name}"`);
    const known = this.handlers.has(name);
    this.handlers.set(name, handler);
    await this.start();
    // stately: at most one queued and one active job per name, so missed firings never pile up.
    await retryOnDeadlock(() =>
      this.boss.createQueue(name, { name, policy: 'stately', expireInSeconds: this.options.expireInSeconds ?? 12 * 3600, retryLimit: 0 }),
    );
    await retryOnDeadlock(() => this.boss.schedule(name, cron, {}, { tz: timeZone }));
    if (!known) await this.attach(name);
  }

  async unregister(name: string): Promise<void> {
    this.handlers.delete(name);
    await this.boss.unschedule(name);
    await this.boss.offWork(name);
  }

  private async attach(name: string): Promise<void> {
    const poll = this.options.pollSeconds;
    await this.boss.work(name, { batchSize: 1, ...(poll ? { pollingIntervalSeconds: Math.max(0.5, poll) } : {}) }, async (jobs) => {
      for (const job of jobs) {
        // Looked up per job, so re-registering replaces the handler without a second worker.
        const handler = this.handlers.get(name);
        if (handler) await handler({ id: job.id, name });
      }
    });
  }
}

/**
 * Replicas starting together create the same queue at once; pg-boss 10's createQueue can then deadlock in
 * PostgreSQL (40P01), which aborts one of them. The queue exists afterwards, so trying again is safe.
 */
async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: string }).code;
      // 42P07: two replicas creating the same queue's partition table at once.
      if ((code !== '40P01' && code !== '23505' && code !== '42P07') || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.floor(Math.random() * 50)));
    }
  }
}
