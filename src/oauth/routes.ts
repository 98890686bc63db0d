import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { readClientCredentials, readTokenParameters } from './client-auth.js';
import { OAuthError } from './errors.js';
import { FailedAttempts } from './failed-attempts.js';
import type { SigningKeyRing } from './key-service.js';
import type { TokenResponse, TokenService } from './service.js';
import { issuerFor, jwksUriFor, publicBaseUrl, scimAudienceFor, tokenEndpointFor } from './urls.js';

export interface OAuthRoutesOptions {
  config: Config;
  clock: Clock;
  tokens: TokenService;
  keys: SigningKeyRing;
  /** Counts refused token requests by RFC 6749 error code (GET /metrics). */
  onTokenFailure?: (reason: string) => void;
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const MINUTE_MS = 60_000;
/** Token requests are a few hundred bytes; refuse anything much larger before parsing it. */
const TOKEN_BODY_LIMIT = 8 * 1024;

/**
 * POST /oauth2/token (RFC 6749 §4.4 client credentials) and the discovery documents (RFC 8414, RFC 7517).
 * Encapsulated, so the form-body parser and rate limiter apply here only.
 */
export async function oauthRoutes(app: FastifyInstance, { config, clock, tokens, keys, onTokenFailure }: OAuthRoutesOptions): Promise<void> {
  // Every refusal of a token request, the rate limiter's included, passes here before it is rendered.
  app.addHook('onError', async (request, _reply, err) => {
    if (request.routeOptions.url === '/oauth2/token') onTokenFailure?.(err instanceof OAuthError ? err.code : 'invalid_request');
  });
  await app.register(formbody, { bodyLimit: TOKEN_BODY_LIMIT });
  // Only form (RFC 6749 §4.4.2) and JSON bodies: anything else is 415, not a string we would try to read.
  app.removeContentTypeParser('text/plain');
  await app.register(rateLimit, { global: false });

  // Every request from an address counts here (its store is an LRU of 5,000 keys, so memory is bounded).
  const perAddress = app.createRateLimit({ max: config.tokenRateLimitPerAddress, timeWindow: MINUTE_MS, keyGenerator: (r) => `address:${r.ip}` });
  // Only failed authentications count, per client id *and* address: client ids are not secret, and a count per
  // client id alone let anyone who knew one stop a tenant's provisioning (issue 15 item 5).
  const failures = new FailedAttempts(config.tokenFailureLimitPerClientAddress, MINUTE_MS);
  const refuse = (retryAfterSeconds: number, what: string) =>
    new OAuthError('temporarily_unavailable', `Too many token requests ${what}; retry after ${retryAfterSeconds} s.`, 429, {
      'retry-after': String(Math.max(1, retryAfterSeconds)),
    });

  app.post(
    '/oauth2/token',
    {
      bodyLimit: TOKEN_BODY_LIMIT,
      // Counted before the body is read, so a flood costs little.
      onRequest: async (request) => {
        // createRateLimit reports isAllowed only for allow-listed keys; `isExceeded` is the verdict.
        const limit = await perAddress(request);
        if (!limit.isAllowed && limit.isExceeded) throw refuse(limit.ttlInSeconds, 'from this address');
      },
    },
    async (request, reply) => {
      const params = readTokenParameters(request.body);
      const grantType = params['grant_type'];
      if (!grantType) throw new OAuthError('invalid_request', 'The grant_type parameter is required.');
      if (grantType !== 'client_credentials') {
        throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
      }
      const credentials = readClientCredentials(request.headers.authorization, params);
      const base = publicBaseUrl(config, request);
      let response: TokenResponse;
      try {
        response = await tokens.issue(credentials, params['scope'], { issuer: issuerFor(base), audience: scimAudienceFor(base) });
      } catch (err) {
        // The secret is always checked first, so the right one gets a token whatever failed before, from any
        // address; past the limit a wrong one gets 429 instead of 401, telling a misconfigured client to back off.
        // 256-bit secrets, not this count, are what makes guessing hopeless.
        if (err instanceof OAuthError && err.code === 'invalid_client') {
          const verdict = failures.record(`${credentials.clientId}\n${request.ip}`, clock.now().getTime());
          if (verdict.over) throw refuse(verdict.retryAfterSeconds, 'failed for this client from this address');
        }
        throw err;
      }
      return reply.headers(NO_STORE).send(response);
    },
  );

  app.get('/.well-known/oauth-authorization-server', async (request) => {
    const base = publicBaseUrl(config, request);
    return {
      issuer: issuerFor(base),
      token_endpoint: tokenEndpointFor(base),
      jwks_uri: jwksUriFor(base),
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ['scim'],
      // Required by RFC 8414 §2; this server has no authorization endpoint, so no response types.
      response_types_supported: [],
    };
  });

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    // Short caching: a verifier fetching after a rotation must see the new key soon.
    return reply.header('cache-control', 'public, max-age=60').send(await keys.jwks());
  });
}
