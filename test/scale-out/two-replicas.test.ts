import { randomUUID } from 'node:crypto';
import t from 'tap';
import { cli, provisionTenant } from '../chaos/setup.js';
import { adminQuery, openTestDatabase, testDatabaseUrl } from '../helpers/database.js';
import { startService, type ServiceProcess } from '../helpers/process.js';

/**
 * Two service processes on one PostgreSQL schema, driven like Entra drives a load-balanced deployment:
 * everything shared lives in the database, so it must not matter which replica answers.
 */
const pgUrl = testDatabaseUrl();
const skip = pgUrl ? false : 'two replicas need PostgreSQL (TEST_DATABASE_URL); PGlite is one process by design';

const SCIM = 'application/scim+json';
const userBody = (userName: string) =>
  JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true, name: { givenName: 'Scale', familyName: 'Out' } });

interface Replicas {
  a: ServiceProcess;
  b: ServiceProcess;
  env: Record<string, string>;
  tenantId: string;
  scimToken: string;
}

let shared: Promise<Replicas> | undefined;

/** One schema and two replicas for the whole file (starting a process costs seconds). */
function replicas(): Promise<Replicas> {
  shared ??= (async () => {
    const testDb = await openTestDatabase(t);
    // The replicas' pg-boss scheduler keeps its jobs in a schema beside the test's; drop it too.
    t.teardown(() => adminQuery(testDb.url ?? '', `drop schema if exists ${testDb.schema ?? 'none'}_pgboss cascade`));
    // Replicas re-read the active signing key every second, so a rotation reaches them quickly in the test.
    // PUBLIC_BASE_URL is what a load balancer's clients see; every replica must share it (token iss/aud).
    const env = { PUBLIC_BASE_URL: 'https://scim.replicas.test', DATABASE_URL: testDb.url ?? '', DATABASE_SCHEMA: testDb.schema ?? '', CREDENTIAL_RECHECK_SECONDS: '1', DATABASE_POOL_MAX: '5',
      // One tenant's bursts (30 concurrent PATCHes) are what this test sends: its share is not what it measures.
      TENANT_MAX_CONCURRENT_REQUESTS: '100000', TENANT_REQUESTS_PER_SECOND: '1000000', TENANT_REQUEST_BURST: '1000000' };
    const [a, b] = await Promise.all([startService(env), startService(env)]);
    t.teardown(async () => {
      await Promise.all([a.stop(), b.stop()]);
    });
    const { tenantId, scimToken } = await provisionTenant(env, `scale-${randomUUID().slice(0, 8)}`);
    return { a, b, env, tenantId, scimToken };
  })();
  return shared;
}

const post = (s: ServiceProcess, token: string, userName: string) =>
  fetch(s.url('/scim/v2/Users'), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': SCIM }, body: userBody(userName) });

t.test('concurrent creates of one userName on two replicas give exactly one 201 and 409s', { skip }, async (t) => {
  const { a, b, scimToken } = await replicas();
  const userName = `twin-${randomUUID().slice(0, 8)}@contoso.com`;
  // Entra retries and parallel cycles can send the same user twice; case differs to exercise citext uniqueness.
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) => post(i % 2 === 0 ? a : b, scimToken, i % 3 === 0 ? userName.toUpperCase() : userName)),
  );
  const statuses = results.map((r) => r.status).sort();
  t.same(statuses, [201, ...Array(15).fill(409)]);
  for (const r of results.filter((x) => x.status === 409)) t.match(await r.json(), { scimType: 'uniqueness', status: '409' });
});

t.test('concurrent PATCHes to one user through both replicas lose nothing', { skip }, async (t) => {
  const { a, b, scimToken } = await replicas();
  const created = await post(a, scimToken, `busy-${randomUUID().slice(0, 8)}@contoso.com`);
  const { id } = (await created.json()) as { id: string };
  const n = 30;
  // Untyped emails: two of one `type` are refused (400 invalidValue), as Entra never sends them.
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      fetch((i % 2 === 0 ? a : b).url(`/scim/v2/Users/${id}`), {
        method: 'PATCH',
        headers: { authorization: `Bearer ${scimToken}`, 'content-type': SCIM },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'emails', value: [{ value: `e${i}@x.test` }] }] }),
      }),
    ),
  );
  t.same(results.map((r) => r.status), Array(n).fill(200));
  const got = (await (await fetch(b.url(`/scim/v2/Users/${id}`), { headers: { authorization: `Bearer ${scimToken}` } })).json()) as { emails: Array<{ value: string }>; meta: { version: string } };
  t.same(got.emails.map((e) => e.value).sort(), Array.from({ length: n }, (_, i) => `e${i}@x.test`).sort());
  t.equal(got.meta.version, `W/"${n + 1}"`);
});

async function tokenFrom(s: ServiceProcess, clientId: string, clientSecret: string): Promise<string> {
  const res = await fetch(s.url('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

const kidOf = (jwt: string): string => (JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid;

t.test('a token issued by one replica works on the other, and a key rotation is seen by both', { skip }, async (t) => {
  const { a, b, env, tenantId } = await replicas();
  const client = await cli(env, ['client', 'create', '--tenant', tenantId]);
  const [clientId, clientSecret] = [String(client['client_id']), String(client['client_secret'])];
  const first = await tokenFrom(a, clientId, clientSecret);
  const onB = await fetch(b.url('/scim/v2/Users?filter=userName%20eq%20%22nobody%22'), { headers: { authorization: `Bearer ${first}` } });
  t.equal(onB.status, 200, 'replica B accepts the token replica A signed');

  const rotated = await cli(env, ['keys', 'rotate']);
  t.ok(rotated, 'keys rotate ran');
  // Each replica re-reads the active key within CREDENTIAL_RECHECK_SECONDS (1 s here).
  let second = first;
  for (let i = 0; i < 40 && kidOf(second) === kidOf(first); i++) {
    await new Promise((r) => setTimeout(r, 250));
    second = await tokenFrom(a, clientId, clientSecret);
  }
  t.not(kidOf(second), kidOf(first), 'replica A signs with the new key after the rotation');
  const jwks = (await (await fetch(b.url('/.well-known/jwks.json'))).json()) as { keys: Array<{ kid: string }> };
  t.ok(jwks.keys.some((k) => k.kid === kidOf(second)), 'replica B publishes the new key');
  t.ok(jwks.keys.some((k) => k.kid === kidOf(first)), 'and keeps the old one while its tokens live');
  for (const [token, what] of [[second, 'new'], [first, 'old']] as const) {
    const res = await fetch(b.url('/scim/v2/Users?count=1'), { headers: { authorization: `Bearer ${token}` } });
    t.equal(res.status, 200, `replica B accepts the ${what} key's token`);
  }
});

// The nightly N-central sync across replicas is scheduled by pg-boss; test/ncentral/schedule.test.ts
// ('with two instances on one PostgreSQL a scheduled run happens once') proves it fires once.
