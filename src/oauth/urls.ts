import type { Config } from '../config.js';

/** Where the service is reached: PUBLIC_BASE_URL, else the request's own scheme and host (development). */
export function publicBaseUrl(config: Pick<Config, 'publicBaseUrl'>, request: { protocol: string; host: string }): string {
  return config.publicBaseUrl ?? `${request.protocol}://${request.host}`;
}

/** Access tokens name the service as issuer and the SCIM base URL as audience (the resource they open). */
export const issuerFor = (base: string): string => base;
export const scimAudienceFor = (base: string): string => `${base}/scim/v2`;
export const tokenEndpointFor = (base: string): string => `${base}/oauth2/token`;
export const jwksUriFor = (base: string): string => `${base}/.well-known/jwks.json`;
