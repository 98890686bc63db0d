import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { ACCESS_TOKEN_ALG } from './access-token.js';

/** A freshly generated signing key pair, as JWKs; `kid` is the RFC 7638 thumbprint of the public key. */
export interface GeneratedKey {
  kid: string;
  publicJwk: JWK;
  privateJwk: JWK;
}

export async function generateSigningKey(): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const decorated = { ...publicJwk, kid, alg: ACCESS_TOKEN_ALG, use: 'sig' };
  return { kid, publicJwk: decorated, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ACCESS_TOKEN_ALG } };
}

/**
 * How long a retired key stays in the JWKS and accepted: until the last token it can have signed has expired.
 * Replicas may keep signing with it until they re-read the active key (`recheckSeconds`), and verifiers allow
 * some clock skew, so both are added with a margin.
 */
export function publishUntil(retiredAt: Date, ttlSeconds: number, recheckSeconds: number, toleranceSeconds: number): Date {
  const marginSeconds = recheckSeconds + toleranceSeconds + 60;
  return new Date(retiredAt.getTime() + (ttlSeconds + marginSeconds) * 1000);
}
