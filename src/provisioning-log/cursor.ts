/**
 * The opaque page cursor: base64url of `{"v":1,"t":<µs since epoch>,"i":<entry id>}`, the (occurred_at, id)
 * of the last entry served. Clients must not build or edit it; anything that does not decode to exactly this
 * shape is refused (400), and a well-formed one can only move within what the caller may already read.
 */
export interface CursorPosition {
  occurredAtUs: string;
  id: string;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const DIGITS = /^\d{1,19}$/;
const MAX_LENGTH = 200;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, t: position.occurredAtUs, i: position.id }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  if (cursor.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError('malformed cursor');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('malformed cursor');
  }
  if (typeof value !== 'object' || value === null) throw new InvalidCursorError('malformed cursor');
  const { v, t, i, ...rest } = value as Record<string, unknown>;
  if (v !== 1 || typeof t !== 'string' || typeof i !== 'string' || !DIGITS.test(t) || !DIGITS.test(i) || Object.keys(rest).length > 0) {
    throw new InvalidCursorError('malformed cursor');
  }
  // Both must fit PostgreSQL's bigint, or the query itself would fail with a 500.
  if (BigInt(t) > 9223372036854775807n || BigInt(i) > 9223372036854775807n) throw new InvalidCursorError('malformed cursor');
  return { occurredAtUs: t, id: i };
}
