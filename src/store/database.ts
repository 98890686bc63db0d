import type { Kysely } from 'kysely';
import type { DB } from './tables.js';

export type DatabaseKind = 'postgres' | 'pglite';

/** An open database: the Kysely handle plus what the process needs to check and close it. */
export interface Database {
  db: Kysely<DB>;
  kind: DatabaseKind;
  /** Answers within `timeoutMs` or throws; /readyz uses it. */
  ping(timeoutMs?: number): Promise<void>;
  /** Connections in use / idle / waiting, for metrics (PGlite has one connection). */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
