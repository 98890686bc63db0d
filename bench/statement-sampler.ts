/**
 * Which statements a service's backends spend their time in, without pg_stat_statements (not loaded on the shared
 * server, and its settings are not ours to change): pg_stat_activity is polled every few milliseconds for the
 * backends of one application_name and each active statement counted. A statement's count over the number of
 * polls is the average number of backends busy with it. The poll is one more query on another backend: it is
 * small beside the load, but figures taken with it on are for finding the hot statements, not for comparing.
 */
import type pg from 'pg';

export interface StatementSampler {
  start: () => void;
  stop: () => void;
  format: (n: number) => string;
}

const INTERVAL_MS = 5;

export function createStatementSampler(client: pg.Client, appName: string): StatementSampler {
  const counts = new Map<string, number>();
  let polls = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight = false;
  const poll = async (): Promise<void> => {
    if (inFlight) return;
    inFlight = true;
    try {
      const r = await client.query<{ state: string; query: string }>(
        "select state, query from pg_stat_activity where application_name = $1 and state in ('active', 'idle in transaction')",
        [appName],
      );
      polls++;
      for (const row of r.rows) {
        // Waiting between statements of a transaction is a round trip the client makes PostgreSQL hold open.
        const key = `${row.state === 'active' ? '' : '[idle in transaction after] '}${row.query.replace(/\s+/g, ' ').trim()}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    } catch {
      // A failed poll is a lost sample, nothing more.
    } finally {
      inFlight = false;
    }
  };
  return {
    start: () => {
      timer ??= setInterval(() => void poll(), INTERVAL_MS);
    },
    stop: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    format: (n) => {
      if (polls === 0) return '  (no samples)';
      return [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([query, count]) => `  ${(count / polls).toFixed(2).padStart(6)}  ${query.length > 200 ? `${query.slice(0, 200)}…` : query}`)
        .join('\n');
    },
  };
}
