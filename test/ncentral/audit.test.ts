import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { createAdminToken } from '../../src/admin/admin-token-service.js';
import { cliActor } from '../../src/audit/request-actor.js';
import { findOrgUnit } from '../../src/store/ncentral.js';
import { createTestTenant } from '../helpers/tenants.js';
import { auditEntries, entriesSince } from './audit-entries.js';
import { fakeApp, type FakeApp } from './fake-app.js';
import { memoryHarness, testActor } from './harness.js';
import { smallEstate } from './memory-source.js';

/**
 * Issue 19 through the admin API: every N-central change writes an audit entry naming the admin token, the
 * target and old → new; a refusal writes a failure or refused entry; a rolled-back change writes nothing; the
 * N-central token appears in no entry.
 */

type Json = Record<string, unknown>;
const UA = 'audit-test/1.0';

async function setup(t: Test, build: { contractCheck?: boolean } = {}) {
  const a = await fakeApp(t, {}, undefined, {}, build);
  const deps = { db: a.deps.database.db, clock: a.deps.clock };
  const admin = await createAdminToken(deps, { tenant: a.tenantId, role: 'admin', label: 'ops' }, cliActor('test'));
  const viewer = await createAdminToken(deps, { tenant: a.tenantId, role: 'viewer' }, cliActor('test'));
  const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'user-agent': UA });
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: Json, token = admin.token) => {
    const res = await a.app.inject({ method, url: `/admin/v1/ncentral${url}`, headers: headers(token), ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() as Json & { items?: Json[] } };
  };
  const entries = () => auditEntries(a.deps.database.db, a.tenantId);
  const connect = (extra: Json = {}) => call('PUT', '/connection', { url: a.fake.url, token: a.fake.userApiToken, caPem: a.fake.caPem, ...extra });
  return { a, admin, viewer, call, entries, connect, db: a.deps.database.db };
}

const unitNamed = async (call: Awaited<ReturnType<typeof setup>>['call'], name: string): Promise<string> => {
  const unit = (await call('GET', '/customers')).body.items?.find((u) => String(u['name']).trim() === name);
  if (!unit) throw new Error(`no unit ${name}`);
  return String(unit['id']);
};

/** What no entry may contain: the N-central token in clear, or sealed as the database stores it. */
async function assertNoSecret(t: Test, a: FakeApp, entries: unknown[]): Promise<void> {
  const text = JSON.stringify(entries);
  t.notOk(text.includes(a.fake.userApiToken), 'the N-central token is in no entry');
  const sealed = await a.deps.database.db.selectFrom('ncentral_connections').select('token_sealed').where('tenant_id', '=', a.tenantId).executeTakeFirst();
  if (sealed) t.notOk(text.includes(sealed.token_sealed), 'nor is the sealed token');
}

t.test('connecting and changing the connection write who, from where, and which fields changed; never the token', async (t) => {
  const { a, admin, call, entries, connect } = await setup(t);
  t.equal((await connect()).status, 200);
  const [created] = await entries();
  t.match(created, {
    action: 'ncentral.connection.create',
    outcome: 'success',
    actor: { type: 'admin_token', id: admin.id, userAgent: UA },
    target: { type: 'ncentral_connection', id: a.tenantId },
    changes: { url: { old: null, new: a.fake.url }, caConfigured: { old: null, new: true }, syncTime: { old: null, new: '20:00' } },
    detail: { tokenEntered: true },
  });
  t.ok(created?.actor.sourceIp, 'the source address is recorded');

  t.equal((await call('PATCH', '/connection', { syncTime: '21:30', deviceSync: false })).status, 200);
  const before = await entries();
  t.equal((await connect({ syncTime: '21:30' })).status, 200, 'saving the same address and a token again');
  const all = await entries();
  t.same(all.at(-2)?.changes, { syncTime: { old: '20:00', new: '21:30' }, deviceSync: { old: true, new: false } }, 'options: only what changed');
  t.match(all.at(-2), { action: 'ncentral.connection.update', outcome: 'success' });
  const [resaved] = await entriesSince(a.deps.database.db, a.tenantId, before);
  t.match(resaved, { action: 'ncentral.connection.update', detail: { tokenEntered: true } });
  t.equal(resaved?.changes, null, 'nothing but the token was entered again, and the token is not a change it names');
  await assertNoSecret(t, a, all);
});

t.test('a refused connection change writes a failure entry and changes nothing', async (t) => {
  const { a, call, entries, connect } = await setup(t);
  await connect();
  const before = await entries();
  const res = await call('PUT', '/connection', { url: 'http://nc.example.com', token: 'x.y.z' });
  t.equal(res.status, 400);
  const after = await entriesSince(a.deps.database.db, a.tenantId, before);
  t.equal(after.length, 1);
  t.match(after[0], { action: 'ncentral.connection.update', outcome: 'failure', target: { type: 'ncentral_connection', id: a.tenantId }, detail: { reason: 'invalid' } });
  t.equal(after[0]?.changes, null);
  t.equal((await call('GET', '/connection')).body['url'], a.fake.url, 'the connection is as it was');

  const bad = await call('PATCH', '/connection', { syncTime: '25:00' });
  t.equal(bad.status, 400, 'a schema refusal at the edge');
  const last = (await entries()).at(-1);
  t.match(last, { action: 'ncentral.connection.update', outcome: 'failure', detail: { status: 400 } });
});

t.test('verify runs are recorded with their outcome: the first success marks it verified, a refused token is a failure', async (t) => {
  const { a, call, entries, connect } = await setup(t);
  await connect();
  t.equal((await call('POST', '/verify')).body['ok'], true);
  const ok = (await entries()).at(-1);
  t.match(ok, { action: 'ncentral.verify', outcome: 'success', changes: { verified: { old: false, new: true } }, detail: { problems: [] } });
  a.fake.rotateUserApiToken();
  t.equal((await call('POST', '/verify')).body['ok'], false);
  const failed = (await entries()).at(-1);
  t.match(failed, { action: 'ncentral.verify', outcome: 'failure', detail: { problems: ['badToken'] } });
  t.equal(failed?.changes, null);
  await assertNoSecret(t, a, await entries());
});

t.test('every decision on a customer is an entry naming it, old → new, and how it was decided', async (t) => {
  const { a, admin, call, entries, connect } = await setup(t);
  await connect();
  await call('POST', '/verify');
  const acme = await unitNamed(call, 'Acme Corp');
  const initech = await unitNamed(call, 'Initech');
  const clientId = await a.addClient('Acme Corporation');

  t.equal((await call('POST', `/customers/${acme}/match`, { portalClientId: clientId })).status, 200);
  t.equal((await call('POST', `/customers/${initech}/exclude`)).status, 200);
  t.equal((await call('POST', `/customers/${initech}/unexclude`)).status, 200);
  t.equal((await call('POST', `/customers/${initech}/create`)).status, 200);
  const decisions = (await entries()).filter((e) => e.target?.type === 'ncentral_customer');
  t.match(decisions, [
    { action: 'ncentral.match', target: { id: acme }, changes: { state: { old: 'unmatched', new: 'matched' }, portalClientId: { old: null, new: clientId } }, detail: { kind: 'customer', name: 'Acme Corp', by: 'manual' } },
    { action: 'ncentral.exclude', target: { id: initech }, changes: { state: { old: 'unmatched', new: 'excluded' } } },
    { action: 'ncentral.unexclude', target: { id: initech }, changes: { state: { old: 'excluded', new: 'unmatched' } } },
    { action: 'ncentral.create', target: { id: initech }, changes: { state: { old: 'unmatched', new: 'to_create' } } },
  ]);
  t.ok(decisions.every((e) => e.actor.type === 'admin_token' && e.actor.id === admin.id && e.outcome === 'success'));

  const before = await entries();
  const refused = await call('POST', `/customers/${acme}/create`);
  t.equal(refused.status, 400, 'a matched customer cannot be marked to create');
  const missing = await call('POST', `/customers/${acme}/match`, { portalClientId: '00000000-0000-4000-8000-000000000001' });
  t.equal(missing.status, 404);
  t.match(await entriesSince(a.deps.database.db, a.tenantId, before), [
    { action: 'ncentral.create', outcome: 'failure', target: { type: 'ncentral_customer', id: acme }, detail: { reason: 'invalid' } },
    { action: 'ncentral.match', outcome: 'failure', target: { id: acme }, detail: { reason: 'notFound' } },
  ]);
});

t.test('auto-match and create-unmatched write one entry for the action and one per customer they decide', async (t) => {
  const { a, call, entries, connect } = await setup(t);
  await connect();
  await call('POST', '/verify');
  const globexClient = await a.addClient('Globex');
  const globex = await unitNamed(call, 'GLOBEX');
  const before = await entries();
  const auto = await call('POST', '/auto-match');
  t.equal(auto.body['matched'], 1);
  const written = await entriesSince(a.deps.database.db, a.tenantId, before);
  t.match(written, [
    { action: 'ncentral.auto_match', target: { type: 'ncentral_connection', id: a.tenantId }, detail: { matched: 1, unmatched: auto.body['unmatched'] } },
    { action: 'ncentral.match', target: { type: 'ncentral_customer', id: globex }, changes: { portalClientId: { old: null, new: globexClient } }, detail: { by: 'auto_match' } },
  ]);
  t.equal(written.length, 2);

  const mid = await entries();
  t.equal((await call('POST', '/create-unmatched')).body['toCreate'], 2);
  const planned = await entriesSince(a.deps.database.db, a.tenantId, mid);
  t.match(planned[0], { action: 'ncentral.create_unmatched', detail: { toCreate: 2 } });
  t.same(planned.slice(1).map((e) => [e.action, e.detail?.['by'], e.changes?.['state']?.new]), [
    ['ncentral.create', 'create_unmatched', 'to_create'],
    ['ncentral.create', 'create_unmatched', 'to_create'],
  ]);
});

t.test('finish and sync now name who started the run, and the run', async (t) => {
  const { a, admin, call, entries, connect } = await setup(t);
  await connect();
  await call('POST', '/verify');
  await call('POST', '/create-unmatched');
  const finish = await call('POST', '/finish?wait=true');
  t.equal(finish.body['status'], 'succeeded');
  const sync = await call('POST', '/sync?wait=true');
  t.equal(sync.status, 200);
  const runs = (await entries()).filter((e) => e.action === 'ncentral.finish' || e.action === 'ncentral.sync');
  t.match(runs, [
    { action: 'ncentral.finish', outcome: 'success', target: { type: 'ncentral_connection', id: a.tenantId }, changes: { finishedAt: { old: null } } },
    { action: 'ncentral.sync', outcome: 'success', target: { type: 'ncentral_sync_run', id: finish.body['id'] }, detail: { trigger: 'finish' } },
    { action: 'ncentral.sync', outcome: 'success', target: { type: 'ncentral_sync_run', id: sync.body['id'] }, detail: { trigger: 'manual' }, actor: { type: 'admin_token', id: admin.id } },
  ]);
  t.equal(runs.length, 3);
});

t.test('a sync refused because one is running is a failure entry; the refused run writes no success', async (t) => {
  const { a, call, entries, connect } = await setup(t);
  await connect();
  await call('POST', '/verify');
  // A run left "running" by another replica, with a fresh heartbeat.
  const now = a.deps.clock.now();
  await a.deps.database.db.insertInto('ncentral_sync_runs').values({ tenant_id: a.tenantId, id: crypto.randomUUID(), trigger: 'manual', job_key: null, status: 'running', started_at: now, heartbeat_at: now }).execute();
  const before = await entries();
  t.equal((await call('POST', '/sync?wait=true')).status, 409);
  t.match(await entriesSince(a.deps.database.db, a.tenantId, before), [{ action: 'ncentral.sync', outcome: 'failure', target: { type: 'ncentral_connection' }, detail: { reason: 'alreadyRunning' } }]);
});

t.test('a viewer is refused and the refusal is an entry; a token of another tenant writes into its own chain only', async (t) => {
  const { a, viewer, call, entries, connect } = await setup(t);
  await connect();
  const before = await entries();
  t.equal((await call('POST', '/verify', undefined, viewer.token)).status, 403);
  t.equal((await call('PATCH', '/connection', { syncTime: '22:00' }, viewer.token)).status, 403);
  const refused = await entriesSince(a.deps.database.db, a.tenantId, before);
  t.match(refused, [
    { action: 'ncentral.verify', outcome: 'refused', actor: { type: 'admin_token', id: viewer.id }, target: { type: 'ncentral_connection', id: a.tenantId }, detail: { status: 403 } },
    { action: 'ncentral.connection.update', outcome: 'refused' },
  ]);
  t.equal((await call('GET', '/connection')).body['syncTime'], '20:00', 'nothing changed');

  const other = await createTestTenant(a);
  const res = await call('POST', `/verify?tenant=${other.tenantId}`);
  t.equal(res.status, 403);
  t.same(await auditEntries(a.deps.database.db, other.tenantId), [], "nothing lands in the other tenant's chain");
  t.match((await entries()).at(-1), { action: 'ncentral.verify', outcome: 'refused' });
});

t.test('a change that rolls back writes no entry', async (t) => {
  // The injected fault answers 500, which the API documents nowhere: no contract check for this one.
  const { a, call, entries, connect, db } = await setup(t, { contractCheck: false });
  await connect();
  await call('POST', '/verify');
  const initech = await unitNamed(call, 'Initech');
  // The commit fails after the change and its entry were both written in the transaction: both must vanish.
  await sql`create function audit_test_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused by test'; end $$`.execute(db);
  await sql`create constraint trigger audit_test_refuse after update on ncentral_org_units deferrable initially deferred for each row execute function audit_test_refuse()`.execute(db);
  t.teardown(async () => {
    await sql`drop trigger if exists audit_test_refuse on ncentral_org_units`.execute(db);
  });
  const before = await entries();
  t.equal((await call('POST', `/customers/${initech}/exclude`)).status, 500);
  t.equal((await call('POST', '/create-unmatched')).status, 500);
  t.same(await entriesSince(db, a.tenantId, before), [], 'no entry for a change that did not happen');
  t.equal((await findOrgUnit(db, a.tenantId, initech))?.state, 'unmatched');
});

t.test("the scheduler's nightly sync is recorded as the system, by its job", async (t) => {
  const h = await memoryHarness(smallEstate());
  await h.service.createUnmatched(h.tenantId, testActor);
  await h.service.finish(h.tenantId, testActor, { wait: true });
  const before = await auditEntries(h.db, h.tenantId);
  const run = await h.service.runScheduled(h.tenantId, 'nightly-job-1');
  t.equal(run?.status, 'succeeded');
  t.match(await entriesSince(h.db, h.tenantId, before), [
    { action: 'ncentral.sync', outcome: 'success', actor: { type: 'system', id: 'ncentral.nightly-sync' }, target: { type: 'ncentral_sync_run', id: run?.id }, detail: { trigger: 'scheduled', jobKey: 'nightly-job-1' } },
  ]);
  const again = await auditEntries(h.db, h.tenantId);
  t.equal(await h.service.runScheduled(h.tenantId, 'nightly-job-1'), null, 'the same job delivered twice does not run again');
  t.same(await entriesSince(h.db, h.tenantId, again), [], 'and writes nothing');
});
