import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What the database records about the encryption key: an HMAC-SHA256 of a fixed label under the key. It tells
 * two keys apart without being a plain hash of the key (which would let a database reader test guesses offline
 * against an unkeyed digest of the key itself) and reveals nothing that helps open a sealed value.
 */
const LABEL = 'portal-provisioning encryption-key fingerprint v1';
const PREFIX = 'hmac-sha256:';

export function keyFingerprint(key: Buffer): string {
  return PREFIX + createHmac('sha256', key).update(LABEL, 'utf8').digest('base64url');
}

/** Constant-time comparison of a key with a recorded fingerprint. */
export function keyMatchesFingerprint(key: Buffer, fingerprint: string): boolean {
  const mine = Buffer.from(keyFingerprint(key), 'utf8');
  const theirs = Buffer.from(fingerprint, 'utf8');
  return mine.length === theirs.length && timingSafeEqual(mine, theirs);
}

/** A short, printable form for log lines and refusals (the first characters of the fingerprint, never of the key). */
export const shortFingerprint = (fingerprint: string): string => `${fingerprint.slice(0, PREFIX.length + 8)}…`;
