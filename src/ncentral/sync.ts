/**
 * The plumbing of a sync pass, free of I/O choices: a bounded task pool (assets calls overlap the paging, but
 * never pile up unbounded), a one-at-a-time lane (PGlite has one connection: every database call of a run goes
 * through it, so a progress update can never wait on an open batch transaction), and the run's counters.
 */
export interface SyncCounts {
  created: number;
  linked: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: number;
  clients_created: number;
  pages: number;
  retries: number;
  devices_seen: number;
}

export const zeroCounts = (): SyncCounts => ({
  created: 0,
  linked: 0,
  updated: 0,
  unchanged: 0,
  removed: 0,
  skipped: 0,
  clients_created: 0,
  pages: 0,
  retries: 0,
  devices_seen: 0,
});

export interface SyncProgress extends SyncCounts {
  phase: 'starting' | 'customers' | 'devices' | 'removals' | 'done';
  devicesTotal: number | null;
}

export interface TaskPool {
  /** Resolves once the task has started (waits while `limit` tasks are running); rethrows an earlier task's failure. */
  add(task: () => Promise<void>): Promise<void>;
  /** Waits for every started task; rethrows the first failure. */
  drain(): Promise<void>;
  readonly active: number;
}

export function createTaskPool(limit: number): TaskPool {
  let active = 0;
  let failure: unknown;
  let failed = false;
  const waiters: (() => void)[] = [];
  const running = new Set<Promise<void>>();
  const release = (): void => {
    active--;
    waiters.shift()?.();
  };
  const check = (): void => {
    if (failed) throw failure;
  };
  return {
    get active() {
      return active;
    },
    async add(task) {
      check();
      while (active >= limit) await new Promise<void>((r) => waiters.push(r));
      check();
      active++;
      const p = task()
        .catch((err: unknown) => {
          if (!failed) {
            failed = true;
            failure = err;
          }
        })
        .finally(() => {
          running.delete(p);
          release();
        });
      running.add(p);
    },
    async drain() {
      while (running.size > 0) await Promise.all([...running]);
      check();
    },
  };
}

/** Runs async functions one after another, in call order. */
export function createLane(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}

/**
 * Asks for the next page while the caller works on the current one, so N-central's answer time and our database
 * time overlap instead of adding up. Still one request at a time, in order, as offset paging expects.
 */
export async function* prefetched<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = it.next();
      // A failure of the page asked for early surfaces when the caller gets to it, not as an unhandled rejection.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    await it.return?.();
  }
}
