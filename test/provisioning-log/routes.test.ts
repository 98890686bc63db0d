import { randomUUID } from 'node:crypto';
import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { createTestAdmin } from '../helpers/admin.js';
import { seedEntry } from '../helpers/provisioning-log.js';
import { createTestTenant } from '../helpers/tenants.js';

interface ListBody {
  entries: Array<{ id: string; tenantId: string; occurredAt: string; operation: string; outcome: string; target: { userName: string | null } }>;
  nextCursor: string | null;
}

async function list(testApp: TestApp, headers: Record<string, string>, query: Record<string, string>) {
  const res = await testApp.app.inject({ method: 'GET', url: '/admin/v1/provisioning-logs', query, headers });
  return { status: res.statusCode, body: res.json() as ListBody };
}

/** A tenant with a tenant-scoped admin, and a few varied entries at known times. */
async function fixture(t: { teardown(fn: () => unknown): void }) {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, tenant.tenantId);
  const db = testApp.deps.database.db;
  const alice = randomUUID();
  const ids = {
    aliceCreate: await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-10T08:00:00Z', operation: 'Create', userName: 'Alice@Contoso.com', externalId: 'ext-alice', userId: alice, requestId: 'req-1' }),
    aliceDisable: await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-10T09:00:00Z', operation: 'Disable', userName: 'alice@contoso.com', externalId: 'ext-alice', userId: alice, requestId: 'req-2' }),
    bobFailed: await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-11T08:00:00Z', operation: 'Create', outcome: 'failure', userName: 'bob@contoso.com', externalId: 'ext-bob', userId: null, requestId: 'req-3' }),
    query: await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-12T08:00:00Z', operation: 'Query', userName: null, externalId: null, userId: null, requestId: 'req-4' }),
  };
  return { testApp, tenant, admin, ids, alice };
}

const idsOf = (body: ListBody) => body.entries.map((e) => e.id);

t.test('the list answers newest first with each entry whole', async (t) => {
  const { testApp, admin, ids, tenant } = await fixture(t);
  const { status, body } = await list(testApp, admin.headers, {});
  t.equal(status, 200);
  t.same(idsOf(body), [ids.query, ids.bobFailed, ids.aliceDisable, ids.aliceCreate]);
  t.equal(body.nextCursor, null);
  t.match(body.entries[1], { tenantId: tenant.tenantId, operation: 'Create', outcome: 'failure', occurredAt: '2026-01-11T08:00:00.000Z', target: { userName: 'bob@contoso.com' } });
});

t.test('from (inclusive) and to (exclusive) bound the time range', async (t) => {
  const { testApp, admin, ids } = await fixture(t);
  const { body } = await list(testApp, admin.headers, { from: '2026-01-10T09:00:00Z', to: '2026-01-12T08:00:00Z' });
  t.same(idsOf(body), [ids.bobFailed, ids.aliceDisable]);
});

t.test('outcome=failure returns only failures', async (t) => {
  const { testApp, admin, ids } = await fixture(t);
  t.same(idsOf((await list(testApp, admin.headers, { outcome: 'failure' })).body), [ids.bobFailed]);
});

t.test('operation filters by the operation name', async (t) => {
  const { testApp, admin, ids } = await fixture(t);
  t.same(idsOf((await list(testApp, admin.headers, { operation: 'Disable' })).body), [ids.aliceDisable]);
  t.same(idsOf((await list(testApp, admin.headers, { operation: 'Test connection' })).body), []);
});

t.test('userName matches ignoring case', async (t) => {
  const { testApp, admin, ids } = await fixture(t);
  t.same(idsOf((await list(testApp, admin.headers, { userName: 'ALICE@contoso.COM' })).body), [ids.aliceDisable, ids.aliceCreate]);
});

t.test('externalId matches exactly', async (t) => {
  const { testApp, admin, ids } = await fixture(t);
  t.same(idsOf((await list(testApp, admin.headers, { externalId: 'ext-bob' })).body), [ids.bobFailed]);
  t.same(idsOf((await list(testApp, admin.headers, { externalId: 'EXT-BOB' })).body), []);
});

t.test('userId returns the entries about that user', async (t) => {
  const { testApp, admin, ids, alice } = await fixture(t);
  t.same(idsOf((await list(testApp, admin.headers, { userId: alice.toUpperCase() })).body), [ids.aliceDisable, ids.aliceCreate]);
});

t.test('requestId finds the entry of one request', async (t) => {
  const { testApp, admin, ids } = await fixture(t);
  t.same(idsOf((await list(testApp, admin.headers, { requestId: 'req-3' })).body), [ids.bobFailed]);
});

t.test('filters combine', async (t) => {
  const { testApp, admin, ids } = await fixture(t);
  t.same(idsOf((await list(testApp, admin.headers, { userName: 'alice@contoso.com', operation: 'Create', outcome: 'success' })).body), [ids.aliceCreate]);
});

t.test('limit pages through every entry once, in order, by cursor', async (t) => {
  const { testApp, admin, ids } = await fixture(t);
  const first = await list(testApp, admin.headers, { limit: '3' });
  t.same(idsOf(first.body), [ids.query, ids.bobFailed, ids.aliceDisable]);
  t.type(first.body.nextCursor, 'string');
  const second = await list(testApp, admin.headers, { limit: '3', cursor: first.body.nextCursor ?? '' });
  t.same(idsOf(second.body), [ids.aliceCreate]);
  t.equal(second.body.nextCursor, null);
});

t.test('the cursor stays stable while new entries are written', async (t) => {
  const { testApp, admin, ids, tenant } = await fixture(t);
  const first = await list(testApp, admin.headers, { limit: '2' });
  t.same(idsOf(first.body), [ids.query, ids.bobFailed]);
  // New activity lands between page requests, including one in the same millisecond as the page's last entry.
  const db = testApp.deps.database.db;
  await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-20T08:00:00Z' });
  await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-13T08:00:00Z' });
  const second = await list(testApp, admin.headers, { limit: '2', cursor: first.body.nextCursor ?? '' });
  t.same(idsOf(second.body), [ids.aliceDisable, ids.aliceCreate]);
});

t.test('entries in the same instant are ordered by id and none is skipped or repeated across pages', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, tenant.tenantId);
  const db = testApp.deps.database.db;
  const same: string[] = [];
  // Microseconds apart: a cursor rounded to the millisecond would lose some of them.
  for (let i = 0; i < 5; i++) same.push(await seedEntry(db, tenant.tenantId, { occurredAt: `2026-01-10T08:00:00.000${i}01Z` }));
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const query: Record<string, string> = { limit: '2', ...(cursor ? { cursor } : {}) };
    const { body } = await list(testApp, admin.headers, query);
    seen.push(...idsOf(body));
    cursor = body.nextCursor;
  } while (cursor);
  t.same(seen, [...same].reverse());
});

t.test('a cursor that was not issued by the server answers 400', async (t) => {
  const { testApp, admin } = await fixture(t);
  for (const cursor of ['not-a-cursor', Buffer.from('{"v":1,"t":"x","i":"1"}').toString('base64url'), Buffer.from('{"v":1,"t":"99999999999999999999","i":"1"}').toString('base64url'), 'a'.repeat(300)]) {
    const res = await list(testApp, admin.headers, { cursor });
    t.equal(res.status, 400, cursor.slice(0, 20));
  }
});

t.test('bad filter values answer 400 in plain JSON', async (t) => {
  const { testApp, admin } = await fixture(t);
  const bad: Array<Record<string, string>> = [{ from: 'yesterday' }, { outcome: 'maybe' }, { operation: 'Explode' }, { userId: 'not-a-uuid' }, { limit: '0' }, { limit: '5000' }, { tenant: '42' }, { usrName: 'x' }, { from: '2026-01-12T00:00:00Z', to: '2026-01-11T00:00:00Z' }];
  for (const query of bad) {
    const res = await testApp.app.inject({ method: 'GET', url: '/admin/v1/provisioning-logs', query, headers: admin.headers });
    t.equal(res.statusCode, 400, JSON.stringify(query));
    t.equal(res.json().error, 'invalidInput');
  }
});

t.test('GET by id answers the entry, and 404 for an unknown or malformed id', async (t) => {
  const { testApp, admin, ids } = await fixture(t);
  const res = await testApp.app.inject({ method: 'GET', url: `/admin/v1/provisioning-logs/${ids.bobFailed}`, headers: admin.headers });
  t.equal(res.statusCode, 200);
  t.equal(res.json().id, ids.bobFailed);
  for (const id of ['999999999999', 'abc', '1'.repeat(40)]) {
    const missing = await testApp.app.inject({ method: 'GET', url: `/admin/v1/provisioning-logs/${id}`, headers: admin.headers });
    t.equal(missing.statusCode, 404, id);
  }
});
