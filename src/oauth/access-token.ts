import { SignJWT, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';

/** The only algorithm we sign with and the only one verification accepts (no `none`, no HS/RS confusion). */
export const ACCESS_TOKEN_ALG = 'ES256';
/** RFC 9068 §2.1 media type of a JWT access token, checked on verification so an id_token cannot pass as one. */
const ACCESS_TOKEN_TYP = 'at+jwt';
/** Allowed skew between our clock and the clock of the replica that signed the token. */
export const CLOCK_TOLERANCE_SECONDS = 30;

export interface AccessTokenGrant {
  issuer: string;
  audience: string;
  clientId: string;
  tenantId: string;
  scope: string;
  issuedAt: Date;
  ttlSeconds: number;
  jti: string;
}

export interface VerifiedAccessToken {
  clientId: string;
  tenantId: string;
  scope: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export class InvalidAccessToken extends Error {
  override name = 'InvalidAccessToken';
}

export async function signAccessToken(key: { kid: string; privateKey: CryptoKey }, grant: AccessTokenGrant): Promise<string> {
  const iat = Math.floor(grant.issuedAt.getTime() / 1000);
  return new SignJWT({ tenant_id: grant.tenantId, client_id: grant.clientId, scope: grant.scope })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: key.kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(grant.issuer)
    .setAudience(grant.audience)
    .setSubject(grant.clientId)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + grant.ttlSeconds)
    .setJti(grant.jti)
    .sign(key.privateKey);
}

/**
 * Checks signature (ES256 only, key chosen by `kid` among our published keys), `typ`, `iss`, `aud`, `exp`, `nbf`.
 * Any failure is an InvalidAccessToken whose message is safe to show.
 */
export async function verifyAccessToken(
  token: string,
  publicKey: (kid: string) => Promise<CryptoKey | undefined>,
  expect: { issuer: string; audience: string; now: Date },
): Promise<VerifiedAccessToken> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      async (header) => {
        if (header.alg !== ACCESS_TOKEN_ALG) throw new InvalidAccessToken('the token is not signed with ES256');
        const key = header.kid === undefined ? undefined : await publicKey(header.kid);
        if (!key) throw new InvalidAccessToken('the token was not signed by a key of this server');
        return key;
      },
      {
        algorithms: [ACCESS_TOKEN_ALG],
        typ: ACCESS_TOKEN_TYP,
        issuer: expect.issuer,
        audience: expect.audience,
        currentDate: expect.now,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      },
    ));
  } catch (err) {
    if (err instanceof InvalidAccessToken) throw err;
    throw new InvalidAccessToken(describeJoseError(err));
  }
  const { sub, exp, tenant_id: tenantId, scope } = payload;
  if (typeof sub !== 'string' || typeof exp !== 'number' || typeof tenantId !== 'string' || scope !== 'scim') {
    throw new InvalidAccessToken('the token lacks the claims this server issues');
  }
  return { clientId: sub, tenantId, scope, expiresAt: exp };
}

function describeJoseError(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ERR_JWT_EXPIRED') return 'the token has expired';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'the token signature is invalid';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const claim = (err as { claim?: string }).claim;
    return `the token's "${claim ?? 'claims'}" claim is not accepted here`;
  }
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'the token is not signed with ES256';
  return 'the token is malformed';
}
