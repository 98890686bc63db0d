import { invalidValue } from './errors.js';
import { MAX_ATTRIBUTE_NAME_LENGTH } from './representation.js';
import { resolvePath, type ResolvedPath } from './user-schema.js';

/** Paging limits, stated in /ServiceProviderConfig as filter.maxResults. */
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;

export type SortColumn = 'user_name' | 'external_id' | 'given_name' | 'family_name' | 'display_name' | 'email' | 'active' | 'created_at' | 'updated_at' | 'id';

export interface ListParams {
  filter: string | undefined;
  startIndex: number;
  count: number;
  sortBy: SortColumn | undefined;
  descending: boolean;
  /** RFC 9865: undefined pages by startIndex; '' asks for the first cursor page; otherwise the cursor to open. */
  cursor: string | undefined;
}

export interface ListQuery {
  filter?: unknown;
  startIndex?: unknown;
  count?: unknown;
  sortBy?: unknown;
  sortOrder?: unknown;
  cursor?: unknown;
}

const integer = (raw: unknown, name: string): number | undefined => {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  if (typeof raw === 'string' && /^-?\d{1,15}$/.test(raw.trim())) return Number(raw.trim());
  throw invalidValue(`"${name}" must be an integer.`);
};

const text = (raw: unknown, name: string): string | undefined => {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw invalidValue(`"${name}" must be given once, as text.`);
  return raw;
};

/** Reads startIndex/count/sortBy/sortOrder (RFC 7644 §3.4.2.3–4): startIndex < 1 is 1, count < 0 is 0. */
export function parseListParams(query: ListQuery, resolve: (path: string) => ResolvedPath | undefined = resolvePath): ListParams {
  const startIndex = Math.max(1, integer(query.startIndex, 'startIndex') ?? 1);
  const count = Math.min(MAX_COUNT, Math.max(0, integer(query.count, 'count') ?? DEFAULT_COUNT));
  const sortByText = text(query.sortBy, 'sortBy');
  let sortBy: SortColumn | undefined;
  // No attribute path is this long; refusing early keeps a huge value out of the parse and the error detail.
  if (sortByText !== undefined && sortByText.length > MAX_ATTRIBUTE_NAME_LENGTH) {
    throw invalidValue(`"sortBy" must name a sortable attribute, in at most ${MAX_ATTRIBUTE_NAME_LENGTH} characters.`);
  }
  if (sortByText) {
    const resolved = resolve(sortByText);
    const leaf = resolved?.sub ?? resolved?.attribute;
    // emails / emails.value sort by the portal account's email column.
    if (resolved && (resolved.canonical === 'emails' || resolved.canonical === 'emails.value')) sortBy = 'email';
    else if (leaf?.storage?.kind === 'column') sortBy = leaf.storage.column;
    else throw invalidValue(`"sortBy" must name a sortable attribute; "${sortByText}" is not one.`);
  }
  const order = text(query.sortOrder, 'sortOrder')?.toLowerCase();
  if (order !== undefined && order !== 'ascending' && order !== 'descending') {
    throw invalidValue('"sortOrder" must be "ascending" or "descending".');
  }
  // A null cursor in a SearchRequest body is no cursor; RFC 9865 pages one way per request, never both.
  const cursor = query.cursor === null ? undefined : text(query.cursor, 'cursor');
  if (cursor !== undefined && query.startIndex !== undefined && query.startIndex !== null) {
    throw invalidValue('"cursor" and "startIndex" ask for two ways of paging; send one of them (RFC 9865).');
  }
  // Cursors keep their place by the creation order (immutable), so a walk sees every user once while others change.
  if (cursor !== undefined && sortBy !== undefined && sortBy !== 'created_at') {
    throw invalidValue('Cursor paging follows the creation order (sortBy meta.created or none); other sorts page with startIndex.');
  }
  return { filter: text(query.filter, 'filter'), startIndex, count, sortBy, descending: order === 'descending', cursor };
}
