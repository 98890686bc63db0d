import type { Deps } from '../deps.js';
import { findAuditEntries, type AuditFilter, type AuditPosition, type AuditReadRow, type AuditScope } from '../store/audit-queries.js';
import { decodeAuditCursor, encodeAuditCursor } from './cursor.js';
import { toAuditView, type AuditEntryView } from './entry-view.js';

export type { AuditFilter } from '../store/audit-queries.js';

/**
 * Who reads the audit trail: an admin principal (API or console), or the CLI, which runs with the database's own
 * rights and reads every chain.
 */
export type AuditReader = { tenantId: string | null; role: 'viewer' | 'admin' } | 'cli';

/** Why a reader may not read what it asked for; the edges answer 403. */
export class AuditAccessError extends Error {
  override name = 'AuditAccessError';
}

/**
 * The chains a reader sees (issue 19): a tenant's admin its own tenant's, always; a service-wide admin one
 * chosen chain (a tenant's, or SERVICE_WIDE for service-wide actions) or all of them. Viewers see none: the trail
 * names people, addresses and credentials' ids.
 */
export function auditScope(reader: AuditReader, requested: string | undefined): AuditScope {
  if (reader === 'cli') return requested === undefined ? 'every' : { tenantId: requested };
  if (reader.role !== 'admin') throw new AuditAccessError('The audit trail is for admins; this credential is a viewer.');
  if (reader.tenantId === null) return requested === undefined ? 'every' : { tenantId: requested };
  if (requested !== undefined && requested !== reader.tenantId) throw new AuditAccessError('This admin token may read only its own tenant\'s audit trail.');
  return { tenantId: reader.tenantId };
}

export interface AuditQuery {
  /** A tenant id or SERVICE_WIDE; undefined: whatever the reader sees. */
  tenant?: string | undefined;
  filter: AuditFilter;
}

export interface AuditPage {
  entries: AuditEntryView[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const positionOf = (row: AuditReadRow): AuditPosition => ({ occurredAtUs: row.occurred_us, tenantId: row.tenant_id, seq: String(row.seq) });

/** Reading the audit trail, for the admin API, the console and the CLI alike. */
export function createAuditReadService(deps: Pick<Deps, 'database'>) {
  const db = deps.database.db;
  return {
    /** Newest first, one page; a cursor we did not issue throws InvalidCursorError. */
    async list(reader: AuditReader, query: AuditQuery & { cursor?: string | undefined; limit: number }): Promise<AuditPage> {
      const scope = auditScope(reader, query.tenant);
      const after = query.cursor === undefined ? undefined : decodeAuditCursor(query.cursor);
      const rows = await findAuditEntries(db, scope, query.filter, { after, limit: query.limit + 1, direction: 'newest-first' });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { entries: page.map(toAuditView), nextCursor: rows.length > query.limit && last ? encodeAuditCursor(positionOf(last)) : null };
    },

    /**
     * Every matching entry, oldest first, in keyset batches: memory stays one batch however long the range, no
     * connection or snapshot is held while a slow client downloads, and it works alike on PGlite's one connection.
     * The scope is checked on the first pull, so an edge can pull once before answering and still send a clean 403.
     */
    async *export(reader: AuditReader, query: AuditQuery, batchSize = 1000): AsyncGenerator<AuditEntryView> {
      const scope = auditScope(reader, query.tenant);
      let after: AuditPosition | undefined;
      for (;;) {
        const rows = await findAuditEntries(db, scope, query.filter, { after, limit: batchSize, direction: 'oldest-first' });
        for (const row of rows) yield toAuditView(row);
        const last = rows.at(-1);
        if (rows.length < batchSize || !last) return;
        after = positionOf(last);
      }
    },

    /**
     * Entries after `position`, oldest first, for `audit tail`; with no position, the newest entry's (tailing
     * starts from now). Returns the position to poll from next.
     */
    async since(
      reader: AuditReader,
      query: AuditQuery,
      position: string | undefined,
      limit = 500,
    ): Promise<{ entries: AuditEntryView[]; position: string | undefined }> {
      const scope = auditScope(reader, query.tenant);
      if (position === undefined) {
        const [newest] = await findAuditEntries(db, scope, query.filter, { limit: 1, direction: 'newest-first' });
        return { entries: [], position: newest ? encodeAuditCursor(positionOf(newest)) : undefined };
      }
      const rows = await findAuditEntries(db, scope, query.filter, { after: decodeAuditCursor(position), limit, direction: 'oldest-first' });
      const last = rows.at(-1);
      return { entries: rows.map(toAuditView), position: last ? encodeAuditCursor(positionOf(last)) : position };
    },
  };
}

export type AuditReadService = ReturnType<typeof createAuditReadService>;

/** A `since` position just before `at`: tailing from it starts with the first entry at or after `at`. */
export const auditPositionBefore = (at: Date): string =>
  // Clamped at the epoch: the cursor holds no sign.
  encodeAuditCursor({ occurredAtUs: String(Math.max(0, at.getTime()) * 1000), tenantId: '00000000-0000-0000-0000-000000000000', seq: '0' });
