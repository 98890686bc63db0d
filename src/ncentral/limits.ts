/**
 * Caps on what one sync run reads from an N-central server (issue 15 item 4). A hostile or broken server could
 * otherwise answer `totalPages: 1e9` with distinct 60 MB pages and be read into memory until the process dies,
 * for every tenant. Hitting a cap stops the run with a `serverMisbehaved` failure.
 */
import { NcentralError } from './client-error.js';

export interface NcentralLimits {
  /** Largest single answer, counted while it streams in (never buffered past the cap). */
  maxAnswerBytes: number;
  /** Every answer of one client (one run, or one verify) together. */
  maxBytesPerRun: number;
  /** Pages of one listing. */
  maxPagesPerListing: number;
  /** Items of one listing. */
  maxItemsPerListing: number;
  /** Longest string value in an item (a name, an id, an inventory field). */
  maxFieldChars: number;
}

/** 100,000 devices read as 100 pages of ~1 MB plus one ~2 KB assets answer each: far below every cap. */
export const DEFAULT_NCENTRAL_LIMITS: NcentralLimits = {
  maxAnswerBytes: 32 * 1024 * 1024,
  maxBytesPerRun: 4096 * 1024 * 1024,
  maxPagesPerListing: 10_000,
  maxItemsPerListing: 1_000_000,
  maxFieldChars: 8192,
};

export function misbehaved(endpoint: string, what: string): NcentralError {
  return new NcentralError('serverMisbehaved', `N-central ${what} on ${endpoint}; the run stopped there (a cap protects the service from a broken or hostile server).`, {
    endpoint,
    retryable: false,
  });
}

/**
 * The longest string anywhere in a parsed JSON value, stopping as soon as one exceeds `max`. Iterative, so a
 * deeply nested answer cannot overflow the stack.
 */
export function exceedsFieldLength(value: unknown, max: number): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next === 'string') {
      if (next.length > max) return true;
    } else if (Array.isArray(next)) {
      for (const item of next) stack.push(item);
    } else if (typeof next === 'object' && next !== null) {
      for (const [key, item] of Object.entries(next)) {
        if (key.length > max) return true;
        stack.push(item);
      }
    }
  }
  return false;
}
