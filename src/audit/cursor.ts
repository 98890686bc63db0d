import { InvalidCursorError } from '../provisioning-log/cursor.js';
import type { AuditPosition } from '../store/audit-queries.js';

export { InvalidCursorError };

/**
 * The audit trail's opaque page cursor, built like the provisioning log's (src/provisioning-log/cursor.ts, whose
 * error it throws so the edges refuse both alike): base64url of `{"v":1,"t":<µs since epoch>,"n":<tenant id>,
 * "i":<seq>}`, the place of the last entry served. Seq counts per tenant, so the tenant is part of the place.
 * Anything not exactly this shape is refused (400); a well-formed one only moves within what the reader may read.
 */
const DIGITS = /^\d{1,19}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_LENGTH = 200;
const MAX_BIGINT = 9223372036854775807n;

export function encodeAuditCursor(position: AuditPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, t: position.occurredAtUs, n: position.tenantId, i: position.seq }), 'utf8').toString('base64url');
}

export function decodeAuditCursor(cursor: string): AuditPosition {
  const malformed = () => new InvalidCursorError('malformed cursor');
  if (cursor.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw malformed();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed();
  const { v, t, n, i, ...rest } = value as Record<string, unknown>;
  if (v !== 1 || typeof t !== 'string' || typeof n !== 'string' || typeof i !== 'string' || Object.keys(rest).length > 0) throw malformed();
  if (!DIGITS.test(t) || !DIGITS.test(i) || !UUID.test(n)) throw malformed();
  // Both numbers must fit PostgreSQL's bigint, or the query itself would fail with a 500.
  if (BigInt(t) > MAX_BIGINT || BigInt(i) > MAX_BIGINT) throw malformed();
  return { occurredAtUs: t, tenantId: n, seq: i };
}
