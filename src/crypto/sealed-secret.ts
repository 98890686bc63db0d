import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets we must be able to read back (signing keys, the N-central User-API token) are sealed with
 * AES-256-GCM under ENCRYPTION_KEY before they reach the database. Format: `v1.<iv>.<tag>.<ciphertext>` (base64url).
 * `context` is bound as associated data, so a sealed value copied to another row or tenant does not open.
 */
const VERSION = 'v1';

export class SealedSecretError extends Error {
  override name = 'SealedSecretError';
}

export function sealSecret(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function openSecret(key: Buffer, sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || body === undefined) throw new SealedSecretError('not a sealed secret');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SealedSecretError('the sealed secret does not open with this encryption key (ENCRYPTION_KEY or the key file: wrong key or tampered value)');
  }
}

export const isSealed = (value: string): boolean => value.startsWith(`${VERSION}.`);

/**
 * The associated data each kind of sealed value is bound to, in one place: start-up checks and rotation
 * (sealing-key-service.ts) open and re-seal every kind with the same contexts as their owners.
 */
export const sealContext = {
  /** A signing key's private JWK, bound to its kid. */
  signingKey: (kid: string): string => `signing-key:${kid}`,
  /** A tenant's N-central User-API token, bound to the tenant. */
  ncentralToken: (tenantId: string): string => `ncentral-token:${tenantId}`,
} as const;

