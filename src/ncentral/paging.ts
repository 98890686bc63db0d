/**
 * N-central's page envelope (../shared/ncentral-api.md §5) read defensively: the server may clamp the page size
 * it was asked for, and some endpoints return little more than `data`. The answer says which page to ask for
 * next, or that the listing is complete.
 */
import type { NcEndpoint, NcPage } from './api-types.js';
import { NcentralError } from './client-error.js';
import { exceedsFieldLength, misbehaved, type NcentralLimits } from './limits.js';
import { isObject, readId } from './wire.js';

export interface PageEnvelope {
  rows: unknown[];
  pageNumber: number;
  /** The size the server used: its own `pageSize` when it says, else what we asked for. */
  pageSize: number;
  /** Whether the server told us its page size (a short page then means the end). */
  pageSizeReported: boolean;
  totalItems: number | null;
  totalPages: number | null;
  /** `true`/`false` when `_links.nextPage` is present, `null` when the server sent no links. */
  nextLink: boolean | null;
}

function readCount(value: unknown): number | null {
  const id = readId(value);
  if (id === null) return null;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : null;
}

/** Null when the body is not a page at all. */
export function readPageEnvelope(body: unknown, requested: { pageNumber: number; pageSize: number }): PageEnvelope | null {
  if (Array.isArray(body)) {
    // A bare array is the whole listing in one go.
    return { rows: body, pageNumber: requested.pageNumber, pageSize: body.length, pageSizeReported: false, totalItems: body.length, totalPages: 1, nextLink: false };
  }
  if (!isObject(body)) return null;
  // An empty listing may come as `data: null` next to a zero total.
  const data = body['data'] === null && readCount(body['totalItems']) === 0 ? [] : body['data'];
  if (!Array.isArray(data)) return null;
  const reportedSize = readCount(body['pageSize']);
  const links = body['_links'];
  let nextLink: boolean | null = null;
  if (isObject(links)) {
    const next = links['nextPage'];
    nextLink = typeof next === 'string' && next !== '';
  }
  return {
    rows: data,
    pageNumber: readCount(body['pageNumber']) ?? requested.pageNumber,
    pageSize: reportedSize !== null && reportedSize > 0 ? reportedSize : requested.pageSize,
    pageSizeReported: reportedSize !== null && reportedSize > 0,
    totalItems: readCount(body['totalItems']),
    totalPages: readCount(body['totalPages']),
    nextLink,
  };
}

/**
 * Whether another page follows. The specification gives device lists the full envelope but customers, sites and
 * filters only `{data, totalItems}` (a public PowerShell client reads `totalPages` from /api/customers, so real
 * servers may send more): every signal is optional. An empty page ends it; `totalPages` when given; `_links.nextPage`
 * when there are links; `totalItems` against the rows read so far (never pageNumber × the size asked for, which a
 * server may lower silently); a page shorter than the size the server is known to use. With none of these the
 * listing continues until an empty page.
 */
export function hasNextPage(page: PageEnvelope, progress: { rowsRead: number; pageSize: number | null }): boolean {
  if (page.rows.length === 0) return false;
  if (page.totalPages !== null) return page.pageNumber < page.totalPages;
  if (page.nextLink !== null) return page.nextLink;
  if (page.totalItems !== null && progress.rowsRead >= page.totalItems) return false;
  if (progress.pageSize !== null && page.rows.length < progress.pageSize) return false;
  return true;
}

/** Page sizes to fall back to when the server refuses a larger one with 400. */
const SMALLER_PAGE_SIZES = [200, 50];

export interface PageReader<T> {
  endpoint: NcEndpoint;
  /** The size to ask for first. */
  pageSize: number;
  /** One page's parsed JSON body. */
  fetch(pageNumber: number, pageSize: number): Promise<unknown>;
  /** A row → an item, or null for a row without a usable id (skipped and reported). */
  read(row: unknown): T | null;
  skipped(): void;
  fetched(page: NcPage<T>): void;
  /** Caps against a hostile server; a listing past one fails with `serverMisbehaved`. */
  limits: Pick<NcentralLimits, 'maxPagesPerListing' | 'maxItemsPerListing' | 'maxFieldChars'>;
}

/** Every page of a listing, in order, by pageNumber (1-based) and the page size the server really uses. */
export async function* readPages<T>(reader: PageReader<T>): AsyncGenerator<NcPage<T>> {
  const { endpoint, limits } = reader;
  let pageNumber = 1;
  let pageSize = reader.pageSize;
  /** The size the server is known to use: stated by it, or learnt from a first page it cut short. */
  let knownSize: number | null = null;
  let rowsRead = 0;
  let previous: string | null = null;
  for (;;) {
    if (pageNumber > limits.maxPagesPerListing) {
      throw misbehaved(endpoint, `kept announcing more pages past ${limits.maxPagesPerListing}`);
    }
    let body: unknown;
    try {
      body = await reader.fetch(pageNumber, pageSize);
    } catch (error) {
      // Whether N-central clamps an over-large pageSize or answers 400 is not documented (§10): step down and ask again.
      const smaller = SMALLER_PAGE_SIZES.find((size) => size < pageSize);
      if (error instanceof NcentralError && error.status === 400 && pageNumber === 1 && smaller !== undefined) {
        pageSize = smaller;
        continue;
      }
      throw error;
    }
    const page = readPageEnvelope(body, { pageNumber, pageSize });
    if (page === null) {
      throw new NcentralError('badResponse', `N-central answered ${endpoint} with something that is not a page of results.`, { endpoint, retryable: false });
    }
    rowsRead += page.rows.length;
    if (rowsRead > limits.maxItemsPerListing) {
      throw misbehaved(endpoint, `listed more than ${limits.maxItemsPerListing} items`);
    }
    if (exceedsFieldLength(page.rows, limits.maxFieldChars)) {
      throw misbehaved(endpoint, `sent a field longer than ${limits.maxFieldChars} characters`);
    }
    const fingerprint = page.rows.length === 0 ? null : `${page.rows.length}:${JSON.stringify(page.rows[0])}:${JSON.stringify(page.rows[page.rows.length - 1])}`;
    if (fingerprint !== null && fingerprint === previous) {
      // A server that ignores pageNumber would otherwise loop forever, or pass off page 1 as everything.
      throw new NcentralError('badResponse', `N-central returned the same page twice on ${endpoint}; paging is not working.`, { endpoint, retryable: false });
    }
    previous = fingerprint;
    // Learnt from the first page only: a server echoing a short last page's length must not shrink it.
    if (pageNumber === 1) {
      if (page.pageSizeReported) knownSize = page.pageSize;
      // A first page shorter than asked while more items remain: the server lowered the size without saying so.
      else if (page.totalItems !== null && page.rows.length > 0 && page.rows.length < pageSize && page.rows.length < page.totalItems) knownSize = page.rows.length;
    }
    const items: T[] = [];
    for (const row of page.rows) {
      const item = reader.read(row);
      if (item === null) reader.skipped();
      else items.push(item);
    }
    const result: NcPage<T> = { items, pageNumber: page.pageNumber, pageSize: knownSize ?? page.pageSize, totalItems: page.totalItems, totalPages: page.totalPages };
    reader.fetched(result);
    yield result;
    if (!hasNextPage(page, { rowsRead, pageSize: knownSize })) return;
    // Keep offsets consistent with the size the server actually used (it may clamp what we asked for).
    if (pageNumber === 1 && page.pageSizeReported) pageSize = page.pageSize;
    pageNumber += 1;
  }
}
