import type { Deps } from '../deps.js';
import type { Authenticator, ScimPrincipal } from '../http/principal.js';
import { scimBearerAuthenticator } from './bearer-auth.js';
import { SigningKeyRing } from './key-service.js';
import { TokenService } from './service.js';
import { CredentialVerifier } from './verify-service.js';

/** The OAuth pieces one process shares: one key ring, so issuing and verifying agree on keys and caches. */
export interface Auth {
  keys: SigningKeyRing;
  tokens: TokenService;
  verifier: CredentialVerifier;
  scimAuthenticator: Authenticator<ScimPrincipal>;
}

export function createAuth(deps: Deps): Auth {
  const services = { db: deps.database.db, clock: deps.clock, config: deps.config, log: deps.log, metrics: deps.metrics };
  const keys = new SigningKeyRing(services);
  const verifier = new CredentialVerifier(services, keys);
  return {
    keys,
    tokens: new TokenService(services, keys),
    verifier,
    scimAuthenticator: scimBearerAuthenticator(verifier, deps.config, (reason) => deps.metrics.recordTokenFailure(reason)),
  };
}
