import { randomUUID } from 'node:crypto';
import type { TestApp } from './app.js';
import { createClient } from '../../src/oauth/credential-service.js';
import { createTenant } from '../../src/tenants/service.js';
import { cliActor } from '../../src/audit/request-actor.js';

export interface TestTenant {
  tenantId: string;
  /** Headers that authenticate a SCIM request as this tenant: a real access token from POST /oauth2/token. */
  scimHeaders: Record<string, string>;
  clientId: string;
  clientSecret: string;
  accessToken: string;
}

/**
 * A tenant of the test's own with an OAuth client and an access token obtained from the token endpoint.
 * `host`: without PUBLIC_BASE_URL the token is bound to the host it was requested through.
 */
export async function createTestTenant(
  testApp: Pick<TestApp, 'deps' | 'app'>,
  name = `tenant-${randomUUID()}`,
  options: { host?: string } = {},
): Promise<TestTenant> {
  const { deps, app } = testApp;
  const tenant = await createTenant({ db: deps.database.db, clock: deps.clock }, name, cliActor('test'));
  const { clientId, clientSecret } = await createClient({ db: deps.database.db, clock: deps.clock }, tenant.id, cliActor('test'));
  const response = await app.inject({
    method: 'POST',
    url: '/oauth2/token',
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(options.host ? { host: options.host } : {}) },
  });
  if (response.statusCode !== 200) throw new Error(`token endpoint answered ${response.statusCode}: ${response.body}`);
  const accessToken = (response.json() as { access_token: string }).access_token;
  return { tenantId: tenant.id, clientId, clientSecret, accessToken, scimHeaders: { authorization: `Bearer ${accessToken}` } };
}
