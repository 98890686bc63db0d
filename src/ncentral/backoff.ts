/**
 * How long to wait before another attempt. N-able suggests backing off roughly 2 s, 5 s, 10 s after a 429
 * (../shared/ncentral-api.md §7): capped exponential growth with "equal jitter" so that parallel callers that
 * failed together do not come back together.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 1000, capMs: 30_000 };

/** attempt counts from 1 (the first retry). */
export function backoffDelay(attempt: number, random: () => number, policy: BackoffPolicy = defaultBackoff): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * `Retry-After` is not documented for N-central but honoured when present: delta-seconds or an HTTP date
 * (RFC 9110 §10.2.3). Null when absent or unreadable; never negative; capped so a hostile value cannot park us.
 */
export function parseRetryAfter(header: string | string[] | undefined, now: Date, capMs = 120_000): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(capMs, Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.min(capMs, Math.max(0, at - now.getTime()));
}
