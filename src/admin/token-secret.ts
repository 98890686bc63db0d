import { randomBytes } from 'node:crypto';
import { hashSecret, secretMatches } from '../oauth/secrets.js';

/** How an admin token's secret is kept: only a one-way digest is stored, compared in constant time. */
export interface SecretHasher {
  hash(secret: string): string;
  verify(secret: string, stored: string): boolean;
}

/** The shared credential digest (oauth/secrets.ts), domain-separated for admin tokens. */
export const adminTokenHasher: SecretHasher = {
  hash: (secret) => hashSecret(secret, 'admin-token'),
  verify: (secret, stored) => secretMatches(secret, stored, 'admin-token'),
};

const PREFIX = 'ppadm';
const TOKEN = /^ppadm_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/** `ppadm_<id>_<secret>`: the id finds the row (the hash alone cannot), the prefix makes leaked tokens greppable. */
export function newAdminTokenText(id: string): { token: string; secret: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${PREFIX}_${id.replaceAll('-', '')}_${secret}`, secret };
}

export function parseAdminToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN.exec(token);
  if (!match?.[1] || !match[2]) return undefined;
  const hex = match[1];
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { id, secret: match[2] };
}
