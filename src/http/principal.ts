import type { FastifyRequest } from 'fastify';

/**
 * Who is calling, established from the credential alone (never from the URL or body): every query the
 * request makes is scoped to `tenantId`.
 */
export type Principal =
  /** Entra's provisioning service, by OAuth2 client credentials or a long-lived secret token. */
  | { kind: 'scim'; tenantId: string; clientId: string; credential: 'oauth-client' | 'secret-token' }
  /** An operator's admin token or console session; a null tenant is a service-wide admin. */
  | { kind: 'admin'; tenantId: string | null; subject: string; role: 'viewer' | 'admin' };

export type ScimPrincipal = Extract<Principal, { kind: 'scim' }>;
export type AdminPrincipal = Extract<Principal, { kind: 'admin' }>;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * Establishes the principal for a request or throws the protocol's own 401/403 error.
 * Each route family is given the authenticator it needs.
 */
export type Authenticator<P extends Principal = Principal> = (request: FastifyRequest) => Promise<P>;
