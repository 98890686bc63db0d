import type { Config } from '../config.js';

/** What publicBaseUrl reads of a request: the Host header as sent and the connection itself. */
export interface RequestOrigin {
  headers: { host?: string | undefined };
  socket: object;
}

/**
 * Where the service is reached: PUBLIC_BASE_URL, else the request's own Host and the connection's own scheme
 * (development). X-Forwarded-Host/-Proto and Forwarded are never read here, whatever TRUST_PROXY says, so a
 * client cannot pick the `iss`/`aud` of the tokens it is issued or presents (issue 15 item 6).
 */
export function publicBaseUrl(config: Pick<Config, 'publicBaseUrl'>, request: RequestOrigin): string {
  if (config.publicBaseUrl !== undefined) return config.publicBaseUrl;
  const scheme = 'encrypted' in request.socket && request.socket.encrypted === true ? 'https' : 'http';
  return `${scheme}://${request.headers.host ?? 'localhost'}`;
}

/** Access tokens name the service as issuer and the SCIM base URL as audience (the resource they open). */
export const issuerFor = (base: string): string => base;
export const scimAudienceFor = (base: string): string => `${base}/scim/v2`;
export const tokenEndpointFor = (base: string): string => `${base}/oauth2/token`;
export const jwksUriFor = (base: string): string => `${base}/.well-known/jwks.json`;
