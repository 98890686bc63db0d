import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { readClientCredentials, readTokenParameters } from './client-auth.js';
import { OAuthError } from './errors.js';
import type { SigningKeyRing } from './key-service.js';
import type { TokenService } from './service.js';
import { issuerFor, jwksUriFor, publicBaseUrl, scimAudienceFor, tokenEndpointFor } from './urls.js';

export interface OAuthRoutesOptions {
  config: Config;
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
export async function oauthRoutes(app: FastifyInstance, { config, tokens, keys, onTokenFailure }: OAuthRoutesOptions): Promise<void> {
  // Every refusal of a token request, the rate limiter's included, passes here before it is rendered.
  app.addHook('onError', async (request, _reply, err) => {
    if (request.routeOptions.url === '/oauth2/token') onTokenFailure?.(err instanceof OAuthError ? err.code : 'invalid_request');
  });
  await app.register(formbody, { bodyLimit: TOKEN_BODY_LIMIT });
  // Only form (RFC 6749 §4.4.2) and JSON bodies: anything else is 415, not a string we would try to read.
  app.removeContentTypeParser('text/plain');
  await app.register(rateLimit, { global: false });

  const clientKeys = new WeakMap<FastifyRequest, string>();
  const perAddress = app.createRateLimit({ max: config.tokenRateLimitPerAddress, timeWindow: MINUTE_MS, keyGenerator: (r) => `address:${r.ip}` });
  const perClient = app.createRateLimit({
    max: config.tokenRateLimitPerClient,
    timeWindow: MINUTE_MS,
    keyGenerator: (r) => `client:${clientKeys.get(r) ?? ''}`,
  });
  // createRateLimit reports isAllowed only for allow-listed keys; `isExceeded` is the verdict.
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
      // Per client id, known or not, so guessing one client's secret is slowed whatever address it comes from.
      clientKeys.set(request, credentials.clientId);
      const limit = await perClient(request);
      if (!limit.isAllowed && limit.isExceeded) throw refuse(limit.ttlInSeconds, 'for this client');
      const base = publicBaseUrl(config, request);
      const response = await tokens.issue(credentials, params['scope'], {
        issuer: issuerFor(base),
        audience: scimAudienceFor(base),
      });
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
