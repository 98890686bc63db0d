import t from 'tap';
import { createClient } from '../../src/oauth/credential-service.js';
import { createTenant } from '../../src/tenants/service.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { cliActor } from '../../src/audit/request-actor.js';

/**
 * Issue 15 item 5: client ids are not secret, so failures by someone who knows one must not lock the tenant's
 * Entra provisioning out. Failures count per (client id, address); the right secret always gets a token.
 */
const ATTACKER = '203.0.113.66';
const ENTRA = '198.51.100.7';

async function newClient(testApp: TestApp) {
  const deps = { db: testApp.deps.database.db, clock: testApp.deps.clock };
  const tenant = await createTenant(deps, `tenant-${Math.random().toString(36).slice(2)}`, cliActor('test'));
  return createClient(deps, tenant.id, cliActor('test'));
}

const ask = (testApp: TestApp, from: string, clientId: string, clientSecret: string) =>
  testApp.app.inject({
    method: 'POST',
    url: '/oauth2/token',
    remoteAddress: from,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
  });

t.test('61 bad requests for a client from one address do not stop its right secret from another address', async (t) => {
  const testApp = await buildTestApp(t);
  const c = await newClient(testApp);
  for (let i = 0; i < 61; i++) await ask(testApp, ATTACKER, c.clientId, 'wrong');
  const res = await ask(testApp, ENTRA, c.clientId, c.clientSecret);
  t.equal(res.statusCode, 200);
  t.equal(res.json().token_type, 'Bearer');
});

t.test("the right secret gets a token even from the failing address: never refused for others' failures", async (t) => {
  const testApp = await buildTestApp(t);
  const c = await newClient(testApp);
  for (let i = 0; i < 61; i++) await ask(testApp, ATTACKER, c.clientId, 'wrong');
  t.equal((await ask(testApp, ATTACKER, c.clientId, 'wrong')).statusCode, 429, 'the pair is over its limit');
  const res = await ask(testApp, ATTACKER, c.clientId, c.clientSecret);
  t.equal(res.statusCode, 200);
});

t.test('failures past the limit from one address for one client get 429 in the OAuth2 shape with Retry-After', async (t) => {
  const testApp = await buildTestApp(t, { env: { TOKEN_FAILURE_LIMIT_PER_CLIENT_ADDRESS: '3' } });
  const c = await newClient(testApp);
  for (let i = 0; i < 3; i++) t.equal((await ask(testApp, ATTACKER, c.clientId, 'wrong')).statusCode, 401);
  const res = await ask(testApp, ATTACKER, c.clientId, 'wrong');
  t.equal(res.statusCode, 429);
  t.equal(res.json().error, 'temporarily_unavailable');
  t.match(res.json().error_description, /this client from this address/);
  t.equal(res.headers['retry-after'], '60');
  t.equal(res.headers['cache-control'], 'no-store');
  t.equal((await ask(testApp, ENTRA, c.clientId, 'wrong')).statusCode, 401, 'another address has its own count');
});

t.test('the failure count ends with its minute', async (t) => {
  const testApp = await buildTestApp(t, { env: { TOKEN_FAILURE_LIMIT_PER_CLIENT_ADDRESS: '1' } });
  const c = await newClient(testApp);
  await ask(testApp, ATTACKER, c.clientId, 'wrong');
  t.equal((await ask(testApp, ATTACKER, c.clientId, 'wrong')).statusCode, 429);
  testApp.clock.advance(60_000);
  t.equal((await ask(testApp, ATTACKER, c.clientId, 'wrong')).statusCode, 401);
});

t.test('successful requests are not failures: a busy client is never refused for asking often', async (t) => {
  const testApp = await buildTestApp(t, { env: { TOKEN_FAILURE_LIMIT_PER_CLIENT_ADDRESS: '2' } });
  const c = await newClient(testApp);
  for (let i = 0; i < 5; i++) t.equal((await ask(testApp, ENTRA, c.clientId, c.clientSecret)).statusCode, 200);
});
