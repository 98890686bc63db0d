import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Credentials we hand out and only ever need to *check* (OAuth client secrets, SCIM secret tokens, admin tokens).
 *
 * Why SHA-256 and not scrypt/argon2: every secret here is 256 bits from crypto.randomBytes, so the hash cannot
 * be brute-forced or dictionary-attacked whatever its speed; a slow hash protects low-entropy passwords, and here
 * it would only hand an attacker a cheap way to burn our CPU on every token request. The digest is still one-way,
 * and each purpose is domain-separated so a hash of one kind of secret never verifies as another.
 * Stored as `sha256:<base64url>` so the scheme can change later without guessing.
 */
export type SecretPurpose = 'client-secret' | 'secret-token' | 'admin-token';

const SCHEME = 'sha256';
const SECRET_BYTES = 32;

/** A fresh secret: `<prefix>_` + 256 random bits, base64url. The prefix lets secret scanners spot a leak. */
export function generateSecret(prefix: string): string {
  return `${prefix}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** The one-way digest stored in place of the secret. */
export function hashSecret(secret: string, purpose: SecretPurpose): string {
  const digest = createHash('sha256').update(`portal-provisioning:${purpose}:`).update(secret, 'utf8').digest('base64url');
  return `${SCHEME}:${digest}`;
}

/** Does `secret` match the stored digest? Compared in constant time (the lengths are fixed by the scheme). */
export function secretMatches(secret: string, stored: string, purpose: SecretPurpose): boolean {
  const expected = Buffer.from(stored, 'utf8');
  const actual = Buffer.from(hashSecret(secret, purpose), 'utf8');
  // Lengths differ only for a malformed stored value; that is not secret, so the early return leaks nothing.
  if (expected.length !== actual.length) return false;
  return timingSafeEqual(expected, actual);
}
