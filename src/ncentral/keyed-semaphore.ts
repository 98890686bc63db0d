/**
 * In-flight limits per key. N-central rate-limits each endpoint by concurrent calls, somewhere between 3 and
 * 50 and not published per endpoint (§7 of ../shared/ncentral-api.md), so the client keys permits by path
 * template and adapts: every 429 lowers that endpoint's limit by one (never below 1), and a run of successes
 * raises it again up to the configured ceiling. Waiters are served first come, first served.
 */
export interface AdaptiveOptions {
  /** Consecutive successes that earn one more permit. Default 10. */
  successesPerStep?: number;
}

interface KeyState {
  inFlight: number;
  limit: number;
  successes: number;
  waiting: (() => void)[];
}

export class KeyedSemaphore {
  private readonly keys = new Map<string, KeyState>();
  private readonly successesPerStep: number;

  constructor(
    private readonly ceilingFor: (key: string) => number,
    options: AdaptiveOptions = {},
  ) {
    this.successesPerStep = Math.max(1, options.successesPerStep ?? 10);
  }

  async acquire(key: string): Promise<() => void> {
    const state = this.state(key);
    if (state.inFlight < state.limit && state.waiting.length === 0) {
      state.inFlight += 1;
    } else {
      // Whoever frees a permit hands it straight to us (see release), so the count is already ours.
      await new Promise<void>((resolve) => state.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(state);
    };
  }

  /** The server answered 429: one permit fewer for this endpoint. */
  throttled(key: string): void {
    const state = this.state(key);
    state.successes = 0;
    state.limit = Math.max(1, state.limit - 1);
  }

  /** A call went through: after enough in a row, one permit more (up to the ceiling). */
  succeeded(key: string): void {
    const state = this.state(key);
    const ceiling = Math.max(1, this.ceilingFor(key));
    if (state.limit >= ceiling) return;
    state.successes += 1;
    if (state.successes < this.successesPerStep) return;
    state.successes = 0;
    state.limit += 1;
    this.wake(state);
  }

  active(key: string): number {
    return this.keys.get(key)?.inFlight ?? 0;
  }

  limit(key: string): number {
    return this.state(key).limit;
  }

  private state(key: string): KeyState {
    let state = this.keys.get(key);
    if (state === undefined) {
      state = { inFlight: 0, limit: Math.max(1, this.ceilingFor(key)), successes: 0, waiting: [] };
      this.keys.set(key, state);
    }
    return state;
  }

  private release(state: KeyState): void {
    state.inFlight -= 1;
    this.wake(state);
  }

  private wake(state: KeyState): void {
    while (state.inFlight < state.limit) {
      const next = state.waiting.shift();
      if (next === undefined) return;
      state.inFlight += 1;
      next();
    }
  }
}
