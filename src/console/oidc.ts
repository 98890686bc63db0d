import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcConfig } from '../config.js';

/** What discovery (OpenID Connect Discovery 1.0 §4) tells us about the provider, and how to check its tokens. */
export interface OidcProvider {
  config: OidcConfig;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

export class OidcDiscoveryError extends Error {
  override name = 'OidcDiscoveryError';
}

/** Fetches `<issuer>/.well-known/openid-configuration`; refuses metadata whose issuer differs (Discovery §4.3). */
export async function discoverProvider(config: OidcConfig, timeoutMs = 5000): Promise<OidcProvider> {
  const url = `${config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let metadata: Record<string, unknown>;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok) throw new OidcDiscoveryError(`${url} answered HTTP ${res.status}`);
    metadata = (await res.json()) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof OidcDiscoveryError) throw err;
    throw new OidcDiscoveryError(`cannot read ${url}: ${(err as Error).message}`);
  }
  const field = (name: string): string => {
    const v = metadata[name];
    if (typeof v !== 'string' || !/^https?:\/\//.test(v)) throw new OidcDiscoveryError(`${url} has no valid ${name}`);
    return v;
  };
  const issuer = field('issuer');
  if (issuer.replace(/\/+$/, '') !== config.issuer.replace(/\/+$/, '')) {
    throw new OidcDiscoveryError(`${url} names issuer ${issuer}, not ${config.issuer}`);
  }
  return {
    config,
    issuer,
    authorizationEndpoint: field('authorization_endpoint'),
    tokenEndpoint: field('token_endpoint'),
    jwks: createRemoteJWKSet(new URL(field('jwks_uri')), { timeoutDuration: timeoutMs }),
  };
}

export class IdTokenError extends Error {
  override name = 'IdTokenError';
}

/**
 * @fastify/oauth2 checks nothing in the id_token, so we do (OIDC Core §3.1.3.7): signature against the provider's
 * JWKS (asymmetric algorithms only), iss, aud (our client id), exp/iat with a minute of skew, and the nonce we
 * sent (§3.1.2.1), compared exactly.
 */
export async function verifyIdToken(provider: OidcProvider, idToken: string, expectedNonce: string | undefined, now: Date): Promise<JWTPayload> {
  if (!expectedNonce) throw new IdTokenError('no sign-in was in progress in this browser');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, provider.jwks, {
      issuer: provider.issuer,
      audience: provider.config.clientId,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      currentDate: now,
      clockTolerance: 60,
      requiredClaims: ['exp', 'iat', 'sub'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new IdTokenError('the id_token signature does not verify');
    if (err instanceof joseErrors.JWTExpired) throw new IdTokenError('the id_token has expired');
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw new IdTokenError(`the id_token ${err.claim} claim is not acceptable`);
    if (err instanceof joseErrors.JOSEError) throw new IdTokenError(`the id_token is not acceptable (${err.code})`);
    throw err;
  }
  // With several audiences the token must name us as its authorized party (OIDC Core §3.1.3.7 items 4–5).
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload['azp'] !== provider.config.clientId) {
    throw new IdTokenError('the id_token azp claim is not this client');
  }
  if (payload['nonce'] !== expectedNonce) throw new IdTokenError('the id_token nonce does not match this sign-in');
  return payload;
}
