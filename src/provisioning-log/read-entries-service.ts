import type { Kysely } from 'kysely';
import { insertProvisioningLogEntries } from '../store/provisioning-log.js';
import type { DB, NewProvisioningLogRow } from '../store/tables.js';

/** How long an entry may wait, and how many are written per statement. */
const FLUSH_AFTER_MS = 5;
const MAX_BATCH = 250;
/** Beyond this many waiting entries (database down), new ones are dropped and counted, so memory stays bounded. */
const MAX_WAITING = 20_000;

/**
 * Writes the entries of reads (Get, Query, Test connection) a few milliseconds late, many per INSERT. A read
 * changes nothing, so its entry needs no transaction of its own; batching takes one round trip and one WAL
 * flush off every GET, the hottest path Entra drives. Writes never come here: their entries commit with them.
 */
export class ReadEntryWriter {
  private waiting: NewProvisioningLogRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  dropped = 0;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly onError: (err: unknown, lost: number) => void,
  ) {}

  add(row: NewProvisioningLogRow): void {
    if (this.waiting.length >= MAX_WAITING) {
      this.dropped += 1;
      return;
    }
    this.waiting.push(row);
    if (this.waiting.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes everything added so far; resolves when it is committed (tests and shutdown wait on it). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    // One batch at a time keeps entries in order and the pool free for requests.
    this.inFlight = this.inFlight.then(async () => {
      for (let i = 0; i < batch.length; i += MAX_BATCH) {
        const part = batch.slice(i, i + MAX_BATCH);
        try {
          await insertProvisioningLogEntries(this.db, part);
        } catch (err) {
          this.onError(err, part.length);
        }
      }
    });
    return this.inFlight;
  }
}
