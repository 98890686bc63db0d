import { createServer } from 'node:net';
import pg from 'pg';
import t, { type Test } from 'tap';
import { createSecretToken } from '../../src/oauth/credential-service.js';
import { purgeDepsOf, purgeExpiredEntries } from '../../src/provisioning-log/service.js';
import { FAN_OUT_QUERIES, TABLE_PLACEMENTS } from '../../src/store/distribution.js';
import { startPrivatePostgres } from '../chaos/private-postgres.js';
import { createTestAdmin } from '../helpers/admin.js';
import { loadStatementParser, statementProblems, touchesDistributed } from '../helpers/citus-statement-rules.js';
import { ConsoleBrowser, signInWithToken } from '../helpers/console.js';
import { sharedTestDatabase, testDatabaseUrl } from '../helpers/database.js';
import { PATCH_OP, scimClient } from '../helpers/scim.js';
import { createTestTenant, type TestTenant } from '../helpers/tenants.js';
import { fakeApp, type FakeApp } from '../ncentral/fake-app.js';
import { auditPurgeServiceOf } from '../../src/audit/purge-service.js';
import { accountRecountServiceOf } from '../../src/scim/account-recount-service.js';
import { cliActor } from '../../src/audit/request-actor.js';
import { verifyAuditChains } from '../../src/audit/verify-service.js';

/**
 * Issue 18: every statement the service sends that touches a distributed table is pinned to one tenant, or is a
 * listed fan-out. The service runs on a private PostgreSQL with pg_stat_statements (PGlite cannot load it), and is
 * driven through its front ends: SCIM, the token endpoint, a secret-token bearer, the admin API, the console, an
 * N-central sync against the fake, and the retention purges and account recount the scheduler runs.
 */
const skip = testDatabaseUrl() ? false : 'needs PostgreSQL: pg_stat_statements is loaded by a private PostgreSQL cluster, which PGlite cannot be';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

async function query<R>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as R[];
  } finally {
    await client.end();
  }
}

async function ok(t: Test, what: string, response: Promise<{ statusCode: number; body: string }>, expected?: number): Promise<string> {
  const res = await response;
  if (expected === undefined) t.ok(res.statusCode < 500, `${what} answers ${res.statusCode}`);
  else t.equal(res.statusCode, expected, `${what}: ${res.body.slice(0, 200)}`);
  return res.body;
}

async function driveScim(t: Test, a: FakeApp, tenant: TestTenant, run: string): Promise<void> {
  const scim = scimClient(a.app, tenant);
  const name = (who: string) => `${who}-${run}@example.com`;
  const user = await scim.create(name('ada'), { externalId: `ext-ada-${run}` });
  const other = await scim.create(name('bob'));
  await ok(t, 'filter by userName', scim.request('GET', `Users?filter=${encodeURIComponent(`userName eq "${String(user['userName'])}"`)}`), 200);
  await ok(t, 'filter by externalId', scim.request('GET', `Users?filter=${encodeURIComponent(`externalId eq "ext-ada-${run}"`)}`), 200);
  await ok(t, 'filter on a value path', scim.request('GET', `Users?filter=${encodeURIComponent('emails[type eq "work" and value co "@example.com"]')}`), 200);
  await ok(t, 'list users', scim.request('GET', 'Users?startIndex=1&count=10'), 200);
  await ok(t, 'get a user', scim.request('GET', `Users/${user.id}`), 200);
  await ok(t, 'PATCH a user', scim.patch(user.id, [{ op: 'Replace', path: 'active', value: 'False' }, { op: 'replace', path: 'displayName', value: 'Ada' }]), 200);
  await ok(t, 'PUT a user', scim.request('PUT', `Users/${user.id}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: name('ada2'), active: true, name: { givenName: 'A', familyName: 'L' } }), 200);
  const group = await ok(t, 'create a group', scim.request('POST', 'Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Admins ${run}`, externalId: `g-${run}`, members: [{ value: user.id }] }), 201);
  const groupId = String((JSON.parse(group) as { id: string }).id);
  await ok(t, 'add a member', scim.request('PATCH', `Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: other.id }] }] }), 204);
  await ok(t, 'remove a member', scim.request('PATCH', `Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${user.id}"]` }] }), 204);
  await ok(t, 'filter groups', scim.request('GET', `Groups?filter=${encodeURIComponent(`displayName eq "Admins ${run}"`)}`), 200);
  await ok(t, 'list groups', scim.request('GET', 'Groups'), 200);
  await ok(t, 'get a group', scim.request('GET', `Groups/${groupId}`), 200);
  await ok(t, 'PUT a group', scim.request('PUT', `Groups/${groupId}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Admins ${run} 2`, members: [{ value: user.id }] }), 200);
  await ok(t, 'delete a user in a group', scim.request('DELETE', `Users/${other.id}`), 204);
  await ok(t, 'delete a group', scim.request('DELETE', `Groups/${groupId}`), 204);
}

async function driveSync(t: Test, a: FakeApp): Promise<void> {
  const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    a.app.inject({ method, url: `/admin/v1/ncentral${url}`, headers: a.headers, ...(payload ? { payload } : {}) });
  await a.connect();
  await ok(t, 'verify N-central', call('POST', '/verify'), 200);
  await a.addClient('Acme Corp');
  await ok(t, 'auto-match', call('POST', '/auto-match'), 200);
  await ok(t, 'create-unmatched', call('POST', '/create-unmatched'), 200);
  await ok(t, 'preview', call('GET', '/preview'), 200);
  const finish = JSON.parse(await ok(t, 'finish and first sync', call('POST', '/finish?wait=true'), 200)) as { status: string };
  t.equal(finish.status, 'succeeded');
  const [device] = a.fake.estate.listDevices();
  if (device) a.fake.estate.renameDevice(device.deviceId, 'RENAMED-01');
  a.clock.advance(60_000);
  const again = JSON.parse(await ok(t, 'sync again', call('POST', '/sync?wait=true'), 200)) as { status: string; id: string };
  t.equal(again.status, 'succeeded');
  await ok(t, 'runs', call('GET', '/runs'), 200);
  await ok(t, 'one run', call('GET', `/runs/${again.id}`), 200);
  await ok(t, 'run changes', call('GET', `/runs/${again.id}/changes`), 200);
  await ok(t, 'customers', call('GET', '/customers'), 200);
  await ok(t, 'connection', call('GET', '/connection'), 200);
}

/** The id of the first item of a list answer's array under `key`. */
const firstId = (body: string, key: string): string | undefined => {
  const items = (JSON.parse(body) as Record<string, unknown>)[key];
  const [first] = Array.isArray(items) ? (items as { id?: unknown }[]) : [];
  return first?.id === undefined ? undefined : String(first.id);
};

/** Reads of the SCIM tenant (its admin), of the synced tenant (`a.headers`) and by a service-wide admin. */
async function driveAdminReads(t: Test, a: FakeApp, scimAdmin: Record<string, string>, scimTenantId: string, serviceWide: Record<string, string>): Promise<void> {
  const get = (url: string, headers = a.headers) => a.app.inject({ method: 'GET', url: `/admin/v1${url}`, headers });
  const q = `tenant=${scimTenantId}`;
  const account = firstId(await ok(t, 'accounts', get('/accounts', scimAdmin), 200), 'accounts');
  t.ok(account, 'the tenant has accounts');
  if (account) await ok(t, 'one account', get(`/accounts/${account}`, scimAdmin), 200);
  const asset = firstId(await ok(t, 'assets', get('/assets'), 200), 'assets');
  t.ok(asset, 'the sync created assets');
  if (asset) {
    await ok(t, 'one asset', get(`/assets/${asset}`), 200);
    await ok(t, 'asset changes', get(`/assets/${asset}/changes`), 200);
  }
  await ok(t, 'asset search', get('/assets?search=acme'), 200);
  await ok(t, 'asset export', get('/assets/export'), 200);
  const client = firstId(await ok(t, 'clients', get('/clients'), 200), 'clients');
  if (client) await ok(t, 'one client', get(`/clients/${client}`), 200);
  const entry = firstId(await ok(t, 'provisioning logs', get('/provisioning-logs?limit=5', scimAdmin), 200), 'entries');
  t.ok(entry, 'the SCIM calls were logged');
  if (entry) await ok(t, 'one log entry', get(`/provisioning-logs/${entry}`, scimAdmin), 200);
  await ok(t, 'log summary', get('/provisioning-logs/summary', scimAdmin), 200);
  await ok(t, 'log export', get('/provisioning-logs/export', scimAdmin), 200);
  await ok(t, 'role rules', get('/role-rules', scimAdmin), 200);
  await ok(t, 'service-wide log export', get('/provisioning-logs/export', serviceWide), 200);
  await ok(t, 'service-wide logs of a tenant', get(`/provisioning-logs?limit=5&${q}`, serviceWide), 200);
  // A service-wide admin: its reads across tenants, and a tenant's data by ?tenant=.
  await ok(t, 'service-wide logs', get('/provisioning-logs?limit=5', serviceWide), 200);
  await ok(t, 'service-wide log summary', get('/provisioning-logs/summary', serviceWide), 200);
  if (entry) await ok(t, 'a log entry by id, service-wide', get(`/provisioning-logs/${entry}`, serviceWide), 200);
  await ok(t, 'service-wide accounts of a tenant', get(`/accounts?${q}`, serviceWide), 200);
  await ok(t, 'service-wide assets of a tenant', get(`/assets?${q}`, serviceWide), 200);
  // The audit trail (issue 19): a tenant's own, one tenant's for a service-wide admin, and every tenant's at once.
  await ok(t, 'audit entries', get('/audit?limit=5', scimAdmin), 200);
  await ok(t, 'audit export', get('/audit/export?format=ndjson', scimAdmin), 200);
  await ok(t, 'service-wide audit of a tenant', get(`/audit?limit=5&${q}`, serviceWide), 200);
  await ok(t, 'service-wide audit', get('/audit?limit=5', serviceWide), 200);
}

async function driveConsole(t: Test, a: FakeApp, token: string, pages: string[]): Promise<void> {
  const browser = new ConsoleBrowser(a.app);
  const signedIn = await signInWithToken(browser, token);
  t.equal(signedIn.statusCode, 303, 'signed in to the console');
  for (const page of pages) await ok(t, `console ${page}`, browser.get(page));
  await ok(t, 'console sign-out', browser.post('/console/sign-out'));
}

t.test('every statement the service sends to a distributed table is pinned to one tenant or a listed fan-out', { skip }, async (t) => {
  const server = startPrivatePostgres(await freePort(), {
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.max': '10000',
  });
  // After the file's own teardowns (the shared database drops its schema at the root teardown).
  process.once('exit', () => server.destroy());
  await query(server.url, 'create extension pg_stat_statements');
  await loadStatementParser();
  // Every helper below opens the file's database from this variable: the private cluster, not the shared server.
  process.env['TEST_DATABASE_URL'] = server.url;
  const testDb = await sharedTestDatabase();
  t.ok(testDb.schema, 'the test schema is on the private cluster');
  // The migrations are not the service's traffic: count from here on.
  await query(server.url, 'select pg_stat_statements_reset()');

  const a = await fakeApp(t);
  const tenant = await createTestTenant(a);
  const secret = await createSecretToken({ db: a.deps.database.db, clock: a.clock }, tenant.tenantId, cliActor('test'));
  const serviceWide = await createTestAdmin(a);
  const tenantAdmin = await createTestAdmin(a, tenant.tenantId);

  await driveScim(t, a, tenant, 'access-token');
  await driveScim(t, a, { ...tenant, scimHeaders: { authorization: `Bearer ${secret.token}` } }, 'secret-token');
  await driveSync(t, a);
  await driveAdminReads(t, a, tenantAdmin.headers, tenant.tenantId, serviceWide.headers);
  await driveConsole(t, a, tenantAdmin.token, ['/console/users', '/console/logs', '/console/inventory/assets', '/console/inventory/clients', '/console/credentials', '/console/ncentral', '/console/roles']);
  await driveConsole(t, a, String(a.headers['authorization']).replace(/^Bearer /, ''), ['/console/inventory/assets', '/console/inventory/clients', '/console/ncentral']);
  await driveConsole(t, a, serviceWide.token, ['/console/tenants', '/console/logs', `/console/users?tenant=${tenant.tenantId}`]);
  a.clock.advance(400 * 86_400_000);
  await purgeExpiredEntries(purgeDepsOf(a.deps), { batchSize: 2 });
  await auditPurgeServiceOf(a.deps).purgeExpired({ batchSize: 2 });
  // The hourly account recount (issue 14): tenants read from the reference table, each recount pinned to one tenant.
  const recount = await accountRecountServiceOf(a.deps).recountAll();
  t.same(recount.failed, [], 'every tenant recounted');
  t.equal((await verifyAuditChains(a.deps.database.db)).ok, true, 'audit chains verify after the purge');

  const rows = await query<{ query: string; calls: string }>(
    server.url,
    `select query, calls::text from pg_stat_statements where query not like '%pg_stat_statements%' order by query`,
  );
  const options = { placements: TABLE_PLACEMENTS, fanOuts: FAN_OUT_QUERIES, ownSchemas: [testDb.schema ?? 'public'] };
  const touching = rows.filter((r) => touchesDistributed(r.query, TABLE_PLACEMENTS));
  const broken = touching.flatMap((r) => statementProblems(r.query, options).map((p) => `${p}\n      in: ${r.query.replace(/\s+/g, ' ')}`));
  t.same(broken, [], `${touching.length} statements touching distributed tables, each pinned to one tenant or a listed fan-out`);

  // The drive reached every distributed table, so "no problem" means something.
  const distributed = TABLE_PLACEMENTS.filter((p) => p.placement.kind === 'distributed').map((p) => p.table);
  for (const table of distributed) {
    t.ok(
      touching.some((r) => new RegExp(`\\b${table}\\b`).test(r.query)),
      `the service touched ${table} during the drive`,
    );
  }
  for (const fan of FAN_OUT_QUERIES) {
    t.ok(rows.some((r) => r.query.includes(`/* fan-out: ${fan.id} */`)), `the listed fan-out ${fan.id} ran during the drive`);
  }
});
