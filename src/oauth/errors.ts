import type { ErrorFamily, Failure, ProtocolError } from '../http/errors.js';

/** RFC 6749 §5.2 error codes, plus `temporarily_unavailable` (§4.1.2.1) for rate limits and outages. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable';

/** The `WWW-Authenticate` challenge the token endpoint sends when the client tried HTTP Basic (RFC 6749 §5.2). */
export const BASIC_CHALLENGE = 'Basic realm="portal-provisioning", charset="UTF-8"';

/** An RFC 6749 §5.2 error response: `{error, error_description}`, never cached. */
export class OAuthError extends Error implements ProtocolError {
  readonly contentType = 'application/json; charset=utf-8';
  readonly headers: Record<string, string>;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly statusCode = defaultStatus(code),
    headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
    // §5.1/§5.2: token responses must not be cached.
    this.headers = { 'cache-control': 'no-store', pragma: 'no-cache', ...headers };
  }

  body(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

function defaultStatus(code: OAuthErrorCode): number {
  if (code === 'invalid_client') return 401;
  if (code === 'server_error') return 500;
  if (code === 'temporarily_unavailable') return 503;
  return 400;
}

/** Phrases any failure under /oauth2 (Fastify's 400/413/415, 404, database down) as an OAuth2 error. */
export const oauthErrorFamily: ErrorFamily = {
  prefix: '/oauth2',
  render: (f: Failure) => new OAuthError(codeFor(f), describe(f), f.status, f.headers),
};

function describe(f: Failure): string {
  if (f.status === 415) return 'Content-Type must be application/x-www-form-urlencoded (or application/json).';
  return f.detail;
}

function codeFor(f: Failure): OAuthErrorCode {
  if (f.status === 401) return 'invalid_client';
  if (f.status === 429 || f.status === 503) return 'temporarily_unavailable';
  if (f.status >= 500) return 'server_error';
  return 'invalid_request';
}
