import { BoundedCache } from './bounded-cache.js';

/**
 * Failed client authentications per key (client id and source address) in fixed windows. Only failures are
 * counted, and only per address: client ids are not secret (Entra's settings, logs and the console show them),
 * so a count shared by every address would let anyone lock a tenant's provisioning out (issue 15 item 5).
 * Pure: the caller passes the time. The map is an LRU of fixed size, so rotating client ids or addresses cannot
 * grow memory; an evicted key only starts counting again.
 */
export interface FailureVerdict {
  /** True once the key has failed more than the limit within its window. */
  over: boolean;
  /** Seconds until the key's window ends. */
  retryAfterSeconds: number;
}

interface Window {
  startedAt: number;
  failures: number;
}

const DEFAULT_CAPACITY = 10_000;

export class FailedAttempts {
  private readonly windows: BoundedCache<string, Window>;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    capacity = DEFAULT_CAPACITY,
  ) {
    this.windows = new BoundedCache(capacity);
  }

  /** Counts one failure for `key` and says whether the key is now over its limit. */
  record(key: string, nowMs: number): FailureVerdict {
    let window = this.windows.get(key);
    if (!window || nowMs >= window.startedAt + this.windowMs || nowMs < window.startedAt) {
      window = { startedAt: nowMs, failures: 0 };
    }
    window.failures += 1;
    this.windows.set(key, window);
    const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + this.windowMs - nowMs) / 1000));
    return { over: window.failures > this.limit, retryAfterSeconds };
  }

  get size(): number {
    return this.windows.size;
  }
}
