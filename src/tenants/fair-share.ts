/**
 * Each tenant's share of one process: at most `maxConcurrent` requests in flight and a token bucket of
 * `perSecond` requests refilling up to `burst`. One tenant's burst or runaway script then meets 429s
 * (which Entra honours, backing off by Retry-After) instead of starving every other tenant (issue 15 item 10).
 * Pure: the caller passes the time, so tests step it by hand.
 */
export interface FairShareLimits {
  maxConcurrent: number;
  perSecond: number;
  burst: number;
}

export type Admission =
  | { admitted: true; release: () => void }
  | { admitted: false; reason: 'concurrency' | 'rate'; retryAfterSeconds: number };

interface Share {
  tokens: number;
  refilledAt: number;
  inFlight: number;
}

/** Past this many tracked keys, idle ones (nothing in flight, bucket full again) are forgotten. */
const DEFAULT_MAX_TRACKED = 10_000;

export class TenantFairShare {
  private readonly shares = new Map<string, Share>();

  constructor(
    private readonly limits: FairShareLimits,
    private readonly maxTracked = DEFAULT_MAX_TRACKED,
  ) {}

  /** Admits one request for `key` (a tenant, or a tenant's route family) or says when to retry. */
  admit(key: string, nowMs: number): Admission {
    const share = this.shareOf(key, nowMs);
    this.refill(share, nowMs);
    if (share.inFlight >= this.limits.maxConcurrent) {
      // A slot frees when one of the tenant's own requests finishes; a second is a fair guess.
      return { admitted: false, reason: 'concurrency', retryAfterSeconds: 1 };
    }
    if (share.tokens < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - share.tokens) / this.limits.perSecond));
      return { admitted: false, reason: 'rate', retryAfterSeconds };
    }
    share.tokens -= 1;
    share.inFlight += 1;
    let released = false;
    return {
      admitted: true,
      release: () => {
        // Idempotent: a response can both finish and be aborted.
        if (released) return;
        released = true;
        share.inFlight -= 1;
      },
    };
  }

  /** How many keys are tracked now (memory is bounded by this). */
  get trackedCount(): number {
    return this.shares.size;
  }

  private shareOf(key: string, nowMs: number): Share {
    const known = this.shares.get(key);
    if (known) return known;
    if (this.shares.size >= this.maxTracked) this.forgetIdle(nowMs);
    const share: Share = { tokens: this.limits.burst, refilledAt: nowMs, inFlight: 0 };
    this.shares.set(key, share);
    return share;
  }

  private refill(share: Share, nowMs: number): void {
    // A clock stepping back never takes tokens away nor adds any.
    if (nowMs <= share.refilledAt) return;
    share.tokens = Math.min(this.limits.burst, share.tokens + ((nowMs - share.refilledAt) / 1000) * this.limits.perSecond);
    share.refilledAt = nowMs;
  }

  /**
   * An idle share with a full bucket is the same as no share, so dropping it changes no answer. If that is not
   * enough, the oldest shares with nothing in flight go too (their tenants get a fresh bucket: generous, never
   * unfair to others), so memory stays under maxTracked plus the requests in flight.
   */
  private forgetIdle(nowMs: number): void {
    for (const [key, share] of this.shares) {
      this.refill(share, nowMs);
      if (share.inFlight === 0 && share.tokens >= this.limits.burst) this.shares.delete(key);
    }
    // Down to nine tenths, so the next new keys do not each pay for a sweep.
    const target = Math.floor(this.maxTracked * 0.9);
    for (const [key, share] of this.shares) {
      if (this.shares.size <= target) break;
      if (share.inFlight === 0) this.shares.delete(key);
    }
  }
}
