import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ScimError } from './errors.js';

/**
 * RFC 9865 cursors: opaque to the client, made of the keyset position (created_at in microseconds, id) of the row
 * a page continues from, the page size, the direction and the time of issue, sealed with an HMAC over those bytes,
 * the tenant and a hash of the query. So a cursor is refused when it was altered, made up, or carried to another
 * tenant, another resource type or another filter/sort/projection, and the position always names a row the server
 * itself listed. Base64url without padding: only RFC 3986 unreserved characters (RFC 9865 §2).
 */
export const CURSOR_TIMEOUT_SECONDS = 3600;

const VERSION = 1;
const PAYLOAD_BYTES = 34;
const MAC_BYTES = 16;
const CURSOR_BYTES = PAYLOAD_BYTES + MAC_BYTES;
/** base64url of 50 bytes, unpadded: checked before any decoding, so a huge value costs nothing. */
const CURSOR_TEXT = /^[A-Za-z0-9_-]{67}$/;

export interface CursorPosition {
  /** created_at in microseconds since the epoch, as PostgreSQL keeps it (a JavaScript Date drops the last three digits). */
  createdUs: bigint;
  id: string;
}

export interface CursorState {
  /** 'next' continues after the position; 'previous' returns the page before it. */
  direction: 'next' | 'previous';
  count: number;
  position: CursorPosition;
}

/** What a cursor is bound to besides the tenant: the resource type and every query parameter except the cursor. */
export interface CursorScope {
  tenantId: string;
  query: string;
}

export const invalidCursor = (detail: string) => new ScimError(400, detail, 'invalidCursor');
export const expiredCursor = (detail: string) => new ScimError(400, detail, 'expiredCursor');
export const invalidCount = (detail: string) => new ScimError(400, detail, 'invalidCount');

/** The query a cursor belongs to, as one string (the parts in a fixed order, each JSON-quoted). */
export function cursorQueryKey(resourceType: string, parts: (string | boolean | undefined)[]): string {
  return createHash('sha256').update(JSON.stringify([resourceType, ...parts.map((p) => p ?? null)])).digest('base64url');
}

export class CursorCodec {
  constructor(
    private readonly key: Buffer,
    private readonly now: () => Date,
    private readonly timeoutSeconds = CURSOR_TIMEOUT_SECONDS,
  ) {}

  seal(scope: CursorScope, state: CursorState): string {
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    payload.writeUInt8(VERSION, 0);
    payload.writeUInt8(state.direction === 'previous' ? 1 : 0, 1);
    payload.writeUIntBE(Math.floor(this.now().getTime() / 1000), 2, 6);
    payload.writeUInt16BE(state.count, 8);
    payload.writeBigInt64BE(state.position.createdUs, 10);
    Buffer.from(state.position.id.replace(/-/g, ''), 'hex').copy(payload, 18);
    return Buffer.concat([payload, this.mac(scope, payload)]).toString('base64url');
  }

  /** Opens a cursor for this scope and page size, or throws the RFC 9865 §2.2 error that says why not. */
  open(scope: CursorScope, text: string, count: number): CursorState {
    if (!CURSOR_TEXT.test(text)) throw invalidCursor('The cursor is not one this server issued; start again with an empty cursor.');
    const bytes = Buffer.from(text, 'base64url');
    if (bytes.length !== CURSOR_BYTES) throw invalidCursor('The cursor is not one this server issued; start again with an empty cursor.');
    const payload = bytes.subarray(0, PAYLOAD_BYTES);
    if (!timingSafeEqual(bytes.subarray(PAYLOAD_BYTES), this.mac(scope, payload)) || payload.readUInt8(0) !== VERSION) {
      throw invalidCursor('The cursor was not issued for this query (tenant, resource type, filter, sort and attributes must stay the same) or was altered.');
    }
    const issued = payload.readUIntBE(2, 6);
    if (this.now().getTime() / 1000 - issued > this.timeoutSeconds) {
      throw expiredCursor(`The cursor is older than ${this.timeoutSeconds} seconds (cursorTimeout); start again with an empty cursor.`);
    }
    const issuedCount = payload.readUInt16BE(8);
    if (issuedCount !== count) throw invalidCount(`The cursor was issued for count=${issuedCount}; every page of a walk keeps the same count.`);
    const hex = payload.subarray(18, 34).toString('hex');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    return { direction: payload.readUInt8(1) === 1 ? 'previous' : 'next', count: issuedCount, position: { createdUs: payload.readBigInt64BE(10), id } };
  }

  private mac(scope: CursorScope, payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).update(`\0${scope.tenantId.toLowerCase()}\0${scope.query}`).digest().subarray(0, MAC_BYTES);
  }
}
