import cronParser from 'cron-parser';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { JOB_NAME, type JobHandler, type Scheduler } from './scheduler.js';

interface Entry {
  cron: string;
  timeZone: string;
  handler: JobHandler;
  timer: NodeJS.Timeout | undefined;
}

/** Longest single timer; Node caps setTimeout at ~24.8 days, and waking hourly also absorbs clock changes. */
const MAX_WAIT_MS = 60 * 60_000;

/**
 * The embedded mode's scheduler: PGlite has one connection and no cross-process locks, and pg-boss needs both,
 * so in a single process a timer per job is enough (a second process on the same DATA_DIR is refused at start).
 */
export class InProcessScheduler implements Scheduler {
  readonly kind = 'in-process' as const;
  private readonly jobs = new Map<string, Entry>();
  private readonly running = new Set<Promise<void>>();
  private started = false;

  constructor(private readonly deps: { clock: Clock; log: Logger }) {}

  async register(name: string, cron: string, timeZone: string, handler: JobHandler): Promise<void> {
    if (!JOB_NAME.test(name)) throw new RangeError(`invalid job name "${name}"`);
    cronParser.parseExpression(cron, { tz: timeZone });
    await this.unregister(name);
    this.jobs.set(name, { cron, timeZone, handler, timer: undefined });
    if (this.started) this.arm(name);
  }

  async unregister(name: string): Promise<void> {
    const entry = this.jobs.get(name);
    if (entry?.timer) clearTimeout(entry.timer);
    this.jobs.delete(name);
  }

  async start(): Promise<void> {
    this.started = true;
    for (const name of this.jobs.keys()) this.arm(name);
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const entry of this.jobs.values()) if (entry.timer) clearTimeout(entry.timer);
    await Promise.allSettled([...this.running]);
  }

  /** The next firing of a job after `from` (exposed for tests and the status page). */
  nextFiring(name: string, from: Date = this.deps.clock.now()): Date | null {
    const entry = this.jobs.get(name);
    if (!entry) return null;
    return cronParser.parseExpression(entry.cron, { tz: entry.timeZone, currentDate: from }).next().toDate();
  }

  private arm(name: string): void {
    const entry = this.jobs.get(name);
    if (!entry || !this.started) return;
    const next = this.nextFiring(name);
    if (!next) return;
    const wait = next.getTime() - this.deps.clock.now().getTime();
    entry.timer = setTimeout(() => {
      if (this.jobs.get(name) !== entry) return;
      if (wait > MAX_WAIT_MS) return this.arm(name);
      const run = entry
        .handler({ id: `${name}@${next.toISOString()}`, name })
        .catch((err: unknown) => this.deps.log.error({ job: name, err: { message: err instanceof Error ? err.message : String(err) } }, 'scheduled job failed'))
        .finally(() => {
          this.running.delete(run);
          this.arm(name);
        });
      this.running.add(run);
    }, Math.min(Math.max(0, wait), MAX_WAIT_MS));
    entry.timer.unref();
  }
}
