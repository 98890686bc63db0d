import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { HttpFailure } from '../http/errors.js';
import type { Authenticator, ScimPrincipal } from '../http/principal.js';
import { InvalidAccessToken } from './access-token.js';
import { issuerFor, publicBaseUrl, scimAudienceFor } from './urls.js';
import type { CredentialVerifier } from './verify-service.js';

const REALM = 'portal-provisioning';
/** RFC 6750 §2.1: `Bearer` then a b64token. */
export const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** The per-tenant Tenant URL form; its tenant must be the credential's (the credential alone decides the tenant). */
export const TENANT_PATH = /^\/scim\/v2\/tenants\/([^/?#]+)/i;

function unauthorized(detail: string, error: 'invalid_token' | undefined): HttpFailure {
  // RFC 6750 §3.1: a request without credentials gets a bare challenge, a bad credential `error="invalid_token"`.
  const challenge = error ? `Bearer realm="${REALM}", error="${error}", error_description="${detail.replace(/["\\]/g, "'")}"` : `Bearer realm="${REALM}"`;
  return new HttpFailure({ status: 401, reason: 'unauthorized', detail, headers: { 'www-authenticate': challenge } });
}

/**
 * The production SCIM authenticator: an access token from our token endpoint or a long-lived secret token.
 * Failures are HttpFailures, so the SCIM error family renders them as SCIM Errors.
 */
export function scimBearerAuthenticator(
  verifier: CredentialVerifier,
  config: Pick<Config, 'publicBaseUrl'>,
  /** Told why a presented bearer was refused (metrics: oauth_token_failures_total). */
  onRejected: (reason: 'bearer_invalid' | 'bearer_wrong_tenant') => void = () => undefined,
): Authenticator<ScimPrincipal> {
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (header === undefined || header === '') throw unauthorized('A bearer token is required.', undefined);
    const token = BEARER.exec(header)?.[1];
    if (!token) throw unauthorized('The Authorization header must be "Bearer <token>".', 'invalid_token');
    const base = publicBaseUrl(config, request);
    let principal: ScimPrincipal;
    try {
      principal = await verifier.verify(token, { issuer: issuerFor(base), audience: scimAudienceFor(base) });
    } catch (err) {
      if (err instanceof InvalidAccessToken) {
        onRejected('bearer_invalid');
        throw unauthorized(`The bearer token is not valid: ${err.message}.`, 'invalid_token');
      }
      throw err;
    }
    const pathTenant = TENANT_PATH.exec(request.url)?.[1];
    if (pathTenant !== undefined && safeDecode(pathTenant).toLowerCase() !== principal.tenantId.toLowerCase()) {
      onRejected('bearer_wrong_tenant');
      throw unauthorized('The bearer token does not belong to the tenant in the URL.', 'invalid_token');
    }
    return principal;
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
