/**
 * Named daily/cron jobs that run exactly once per firing across every replica of the service.
 * On PostgreSQL this is pg-boss (its cron monitor takes a database-wide slot and its jobs are fetched with
 * SKIP LOCKED); the embedded PGlite mode, one process per DATA_DIR, uses an in-process timer instead.
 * Jobs may still be delivered more than once (pg-boss is at-least-once): handlers must be idempotent, and
 * `job.id` is stable across redeliveries of the same firing, so a handler can key its work on it.
 */
export interface ScheduledJob {
  id: string;
  name: string;
}

export type JobHandler = (job: ScheduledJob) => Promise<void>;

export interface Scheduler {
  readonly kind: 'pg-boss' | 'in-process';
  /** Adds or replaces the job `name` (letters, digits, `.`, `-`, `_`); `cron` has five fields, read in `timeZone`. */
  register(name: string, cron: string, timeZone: string, handler: JobHandler): Promise<void>;
  unregister(name: string): Promise<void>;
  start(): Promise<void>;
  /** Stops firing and waits for running handlers. */
  stop(): Promise<void>;
}

export const JOB_NAME = /^[A-Za-z0-9._-]{1,100}$/;
