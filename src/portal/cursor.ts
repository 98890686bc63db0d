/**
 * The portal lists' opaque page cursors: base64url of `{"v":1,"o":<list>,"k":[…]}`, the keyset position of the
 * last item served. As with the provisioning log's (provisioning-log/cursor.ts), clients must not build or edit
 * one: anything that does not decode to exactly this shape, for this list, with well-formed keys, is refused
 * (400); a well-formed one only moves within the tenant the caller may already read (every query is scoped).
 */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

export type CursorList = 'assets' | 'clients' | 'accounts' | 'changes';

const MAX_LENGTH = 600;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BIGINT = /^\d{1,19}$/;

/** Checks one key of a position; each list says what its keys look like. */
export type KeyCheck = (key: string) => boolean;
export const isUuid: KeyCheck = (k) => UUID.test(k);
// Both must fit PostgreSQL's bigint, or the query itself would fail with a 500.
export const isBigint: KeyCheck = (k) => BIGINT.test(k) && BigInt(k) <= 9223372036854775807n;
// PostgreSQL text holds no NUL; a longer key than any stored name cannot come from us.
export const isText: KeyCheck = (k) => k.length <= 512 && !k.includes('\u0000');

export function encodeCursor(list: CursorList, keys: string[]): string {
  return Buffer.from(JSON.stringify({ v: 1, o: list, k: keys }), 'utf8').toString('base64url');
}

/** The keys of a cursor issued for `list`, each passing its check; else InvalidCursorError. */
export function decodeCursor(list: CursorList, cursor: string, checks: KeyCheck[]): string[] {
  if (cursor.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError('malformed cursor');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('malformed cursor');
  }
  if (typeof value !== 'object' || value === null) throw new InvalidCursorError('malformed cursor');
  const { v, o, k, ...rest } = value as Record<string, unknown>;
  if (v !== 1 || o !== list || !Array.isArray(k) || k.length !== checks.length || Object.keys(rest).length > 0) {
    throw new InvalidCursorError('malformed cursor');
  }
  const keys: string[] = [];
  for (const [i, check] of checks.entries()) {
    const key: unknown = k[i];
    if (typeof key !== 'string' || !check(key)) throw new InvalidCursorError('malformed cursor');
    keys.push(key);
  }
  return keys;
}
