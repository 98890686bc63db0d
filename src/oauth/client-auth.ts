import { BASIC_CHALLENGE, OAuthError } from './errors.js';

/** How the client proved who it is (RFC 6749 §2.3.1): HTTP Basic or form fields, never both. */
export interface ClientCredentials {
  method: 'client_secret_basic' | 'client_secret_post';
  clientId: string;
  clientSecret: string;
}

/** Token request parameters, each present at most once (RFC 6749 §3.2: "MUST NOT be included more than once"). */
export type TokenParameters = Record<string, string>;

/** Narrows a parsed form or JSON body to single string parameters, refusing repeats and non-strings. */
export function readTokenParameters(body: unknown): TokenParameters {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'The request body must be a set of form parameters.');
  }
  const params: TokenParameters = {};
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `The parameter "${name}" is repeated.`);
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `The parameter "${name}" must be a string.`);
    params[name] = value;
  }
  return params;
}

/**
 * Finds the client's credentials in the Authorization header or the body. With Basic, id and secret are each
 * application/x-www-form-urlencoded before base64 (RFC 6749 §2.3.1), so `+` and `%XX` are decoded.
 */
export function readClientCredentials(authorization: string | undefined, params: TokenParameters): ClientCredentials {
  if (authorization !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/=_-]+) *$/i.exec(authorization);
    // §5.2: a client that tried the Authorization header gets 401 with a challenge for the scheme.
    const refuse = (why: string) => new OAuthError('invalid_client', why, 401, { 'www-authenticate': BASIC_CHALLENGE });
    if (!match?.[1]) throw refuse('The Authorization header must be HTTP Basic with the client id and secret.');
    if (params['client_secret'] !== undefined) {
      throw new OAuthError('invalid_request', 'Use one client authentication method: HTTP Basic or client_secret in the body, not both.');
    }
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw refuse('The Basic credentials must be client_id:client_secret.');
    const clientId = formDecode(decoded.slice(0, colon));
    const clientSecret = formDecode(decoded.slice(colon + 1));
    if (clientId === undefined || clientSecret === undefined || clientId === '') {
      throw refuse('The Basic credentials are not validly form-url-encoded.');
    }
    // §3.2.1 lets the client also send client_id; it must then name the same client.
    if (params['client_id'] !== undefined && params['client_id'] !== clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body does not match the Basic credentials.');
    }
    return { method: 'client_secret_basic', clientId, clientSecret };
  }
  const clientId = params['client_id'];
  const clientSecret = params['client_secret'];
  if (!clientId || clientSecret === undefined) {
    throw new OAuthError('invalid_client', 'Client authentication is required: HTTP Basic or client_id and client_secret.', 401, {
      'www-authenticate': BASIC_CHALLENGE,
    });
  }
  return { method: 'client_secret_post', clientId, clientSecret };
}

function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** §3.3: scope is optional; this server grants only `scim`, so anything else is `invalid_scope`. */
export function grantedScope(requested: string | undefined): string {
  if (requested === undefined || requested.trim() === '') return 'scim';
  const scopes = requested.split(' ').filter(Boolean);
  const unknown = scopes.find((s) => s !== 'scim');
  if (unknown !== undefined) throw new OAuthError('invalid_scope', `The scope "${unknown}" is not offered; request "scim".`);
  return 'scim';
}
