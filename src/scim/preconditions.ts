import { preconditionFailed } from './errors.js';
import { etagOf } from './representation.js';

/** Entity tags as sent in If-Match / If-None-Match (RFC 7232 §3): `*` or a list, compared weakly. */
function tagsOf(header: string): string[] {
  return header.split(',').map((t) => t.trim().replace(/^W\//, '')).filter(Boolean);
}

/** If-Match on PUT/PATCH/DELETE (RFC 7644 §3.14): a mismatch is 412, so a stale write loses nothing. */
export function checkIfMatch(header: string | undefined, version: number): void {
  if (header === undefined || header.trim() === '') return;
  const tags = tagsOf(header);
  if (tags.includes('*')) return;
  if (!tags.includes(etagOf(version).replace(/^W\//, ''))) throw preconditionFailed();
}

/** If-None-Match on GET: true when the client's copy is current (answer 304). */
export function notModified(header: string | undefined, version: number): boolean {
  if (header === undefined || header.trim() === '') return false;
  const tags = tagsOf(header);
  return tags.includes('*') || tags.includes(etagOf(version).replace(/^W\//, ''));
}
