import type { AssetFilters as ServiceFilters } from '../portal/asset-service.js';
import type { AssetFilters } from './inventory-pages.js';

/**
 * Free text from a query string: trimmed, bounded, empty as absent (a hostile 1 MB value is cut, not refused).
 * NUL is dropped: PostgreSQL text cannot hold it (the query would fail) and no stored value contains one.
 */
export const textParam = (v: string | undefined, max = 256): string | undefined => {
  const t = v?.replaceAll('\u0000', '').trim();
  return t ? t.slice(0, max) : undefined;
};

/** `<input type="datetime-local">` sends `2026-01-15T10:00` without a zone; the console reads and shows UTC. */
export function parseUtcInstant(text: string | undefined): Date | undefined {
  if (!text || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/.test(text)) return undefined;
  const d = new Date(/(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The Assets page's filters from its query string; anything unreadable is dropped, never a 500. */
export function assetFiltersFromQuery(q: Record<string, string>): AssetFilters {
  const since = textParam(q['changedSince'], 40);
  const removed = q['removed'] === 'true';
  return {
    client: textParam(q['client'], 64),
    search: textParam(q['search']),
    deviceClass: textParam(q['deviceClass']),
    os: textParam(q['os']),
    removed,
    changedSince: since && parseUtcInstant(since) ? since : undefined,
    cursor: textParam(q['cursor'], 1024),
  };
}

/** The page's filters as the asset service reads them (the same filters as GET /admin/v1/assets). */
export const serviceFilters = (f: AssetFilters): ServiceFilters => ({
  client: f.client,
  search: f.search,
  deviceClass: f.deviceClass,
  os: f.os,
  removed: f.removed,
  changedSince: parseUtcInstant(f.changedSince),
});
