import { randomUUID } from 'node:crypto';
import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import type { AuditEntryView } from '../../src/audit/entry-view.js';
import { cliActor } from '../../src/audit/request-actor.js';
import { createTenant } from '../../src/tenants/service.js';
import { createTestAdmin } from '../helpers/admin.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { OPS, SEEDED_BEFORE, seedAudit } from '../helpers/audit.js';

interface ListBody {
  entries: AuditEntryView[];
  nextCursor: string | null;
}

async function list(testApp: TestApp, headers: Record<string, string>, query: Record<string, string> = {}) {
  const res = await testApp.app.inject({ method: 'GET', url: '/admin/v1/audit', query, headers });
  return { status: res.statusCode, body: res.json() as ListBody };
}

/**
 * The subtests share the file's database, so each fixture seeds its own week of 2024 and reads only that week;
 * `at(day, hour)` is a time in it.
 */
let weeks = 0;
function week() {
  const start = Date.UTC(2024, 0, 1) + weeks++ * 7 * 86_400_000;
  const at = (day: number, hour = 8) => new Date(start + day * 86_400_000 + hour * 3_600_000).toISOString();
  return { at, window: { from: at(0, 0), to: at(7, 0) } };
}

const idsOf = (body: ListBody) => body.entries.map((e) => e.id);

/**
 * Two tenants with a few varied entries each, a service-wide entry, and admins of every kind: built once for the
 * file (the subtests only read), as building it per subtest took PGlite minutes on a shared machine.
 */
let shared: ReturnType<typeof build> | undefined;
const fixture = (_t?: unknown) => (shared ??= build());

async function build() {
  const testApp = await buildTestApp(t);
  const db = testApp.deps.database.db;
  const deps = { db, clock: testApp.deps.clock };
  const a = (await createTenant(deps, `audit-a-${randomUUID()}`, cliActor('test'))).id;
  const b = (await createTenant(deps, `audit-b-${randomUUID()}`, cliActor('test'))).id;
  const { at, window } = week();
  const alice = { type: 'oidc' as const, id: 'sub-alice', label: 'alice@msp.example', sourceIp: '198.51.100.7', userAgent: 'Firefox' };
  const e = {
    rename: await seedAudit(db, a, at(1), { action: 'tenant.rename', target: { type: 'tenant', id: a }, changes: { name: { old: 'Contoso', new: 'Contoso Ltd' } } }),
    clientCreate: await seedAudit(db, a, at(2), { action: 'oauth_client.create', target: { type: 'oauth_client', id: 'client-1' }, actor: alice }),
    clientRevoke: await seedAudit(db, a, at(3), { action: 'oauth_client.revoke', target: { type: 'oauth_client', id: 'client-1' } }),
    refused: await seedAudit(db, a, at(4), { action: 'console.sign_in', outcome: 'refused', actor: { type: 'anonymous', sourceIp: '203.0.113.9' }, detail: { reason: 'unknown token' } }),
    other: await seedAudit(db, b, at(2, 12), { action: 'oauth_client.create', target: { type: 'oauth_client', id: 'client-b' } }),
    service: await seedAudit(db, SERVICE_WIDE, at(5), { action: 'signing_key.rotate', target: { type: 'signing_key', id: 'kid-2' } }),
  };
  const read = (admin: { headers: Record<string, string> }, query: Record<string, string> = {}) => list(testApp, admin.headers, { ...window, ...query });
  return {
    testApp,
    read,
    at,
    window,
    a,
    b,
    e,
    adminA: await createTestAdmin(testApp, a),
    viewerA: await createTestAdmin(testApp, a, 'viewer'),
    adminB: await createTestAdmin(testApp, b),
    serviceAdmin: await createTestAdmin(testApp),
    serviceViewer: await createTestAdmin(testApp, undefined, 'viewer'),
  };
}

t.test("a tenant's admin reads its entries newest first, each whole: actor, source, target, old → new", async (t) => {
  const { read, adminA, e, a, at } = await fixture(t);
  const { status, body } = await read(adminA);
  t.equal(status, 200);
  t.same(idsOf(body), [e.refused.id, e.clientRevoke.id, e.clientCreate.id, e.rename.id]);
  t.equal(body.nextCursor, null);
  t.same(body.entries[3], {
    id: e.rename.id,
    tenantId: a,
    seq: e.rename.seq,
    occurredAt: at(1),
    actor: { type: 'admin_token', id: OPS.id, label: OPS.label, sourceIp: OPS.sourceIp, userAgent: OPS.userAgent },
    action: 'tenant.rename',
    target: { type: 'tenant', id: a },
    outcome: 'success',
    changes: { name: { old: 'Contoso', new: 'Contoso Ltd' } },
    detail: null,
    prevHash: e.rename.prevHash,
    hash: e.rename.hash,
  });
  t.match(body.entries[0], { outcome: 'refused', actor: { type: 'anonymous', id: null, sourceIp: '203.0.113.9' }, target: null, detail: { reason: 'unknown token' } });
});

t.test('from (inclusive) and to (exclusive) bound the time', async (t) => {
  const { read, adminA, e, at } = await fixture(t);
  const { body } = await read(adminA, { from: at(2), to: at(4) });
  t.same(idsOf(body), [e.clientRevoke.id, e.clientCreate.id]);
  t.equal((await read(adminA, { from: at(4), to: at(2) })).status, 400, 'a reversed window is refused');
});

t.test('actor matches an actor id exactly, or a label ignoring case', async (t) => {
  const { read, adminA, e } = await fixture(t);
  t.same(idsOf((await read(adminA, { actor: 'sub-alice' })).body), [e.clientCreate.id]);
  t.same(idsOf((await read(adminA, { actor: 'ALICE@msp.example' })).body), [e.clientCreate.id]);
  t.same(idsOf((await read(adminA, { actor: 'SUB-ALICE' })).body), [], 'ids are exact');
});

t.test('action matches exactly, or every action under a prefix ending in a dot', async (t) => {
  const { read, adminA, e } = await fixture(t);
  t.same(idsOf((await read(adminA, { action: 'oauth_client.' })).body), [e.clientRevoke.id, e.clientCreate.id]);
  t.same(idsOf((await read(adminA, { action: 'oauth_client.revoke' })).body), [e.clientRevoke.id]);
  t.same(idsOf((await read(adminA, { action: 'oauth_client' })).body), [], 'without the dot it is an exact action');
  t.same(idsOf((await read(adminA, { action: 'oauth.client.' })).body), [], 'the dot is not a wildcard');
  t.equal((await read(adminA, { action: 'oauth%' })).status, 400, 'LIKE wildcards are not an action');
});

t.test('target matches type:id or a bare id', async (t) => {
  const { read, adminA, e } = await fixture(t);
  t.same(idsOf((await read(adminA, { target: 'oauth_client:client-1' })).body), [e.clientRevoke.id, e.clientCreate.id]);
  t.same(idsOf((await read(adminA, { target: 'client-1' })).body), [e.clientRevoke.id, e.clientCreate.id]);
  t.same(idsOf((await read(adminA, { target: 'tenant:client-1' })).body), [], 'the type must match too');
});

t.test('outcome narrows to refused (or failed) actions', async (t) => {
  const { read, adminA, e } = await fixture(t);
  t.same(idsOf((await read(adminA, { outcome: 'refused' })).body), [e.refused.id]);
  t.same(idsOf((await read(adminA, { outcome: 'failure' })).body), []);
  t.equal((await read(adminA, { outcome: 'maybe' })).status, 400);
});

t.test('the cursor pages through every entry once, newest first, and a forged one is refused', async (t) => {
  const { read, adminA, e } = await fixture(t);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const { status, body } = await read(adminA, { limit: '1', ...(cursor ? { cursor } : {}) });
    t.equal(status, 200);
    seen.push(...idsOf(body));
    cursor = body.nextCursor;
    pages += 1;
  } while (cursor && pages < 10);
  t.same(seen, [e.refused.id, e.clientRevoke.id, e.clientCreate.id, e.rename.id]);
  t.equal(pages, 4);
  t.equal((await read(adminA, { cursor: 'eyJ2IjoxfQ' })).status, 400);
  t.equal((await read(adminA, { limit: '0' })).status, 400);
  t.equal((await read(adminA, { nosuch: 'x' })).status, 400, 'a misspelt filter fails loudly');
});

t.test("a tenant's admin never sees another tenant's or service-wide entries, and may not ask for them", async (t) => {
  const { testApp, read, adminA, adminB, serviceAdmin, b, e } = await fixture(t);
  const mine = await read(adminB);
  t.same(idsOf(mine.body), [e.other.id]);
  t.equal((await read(adminA, { tenant: b })).status, 403);
  t.equal((await read(adminA, { tenant: SERVICE_WIDE })).status, 403);
  const exported = await testApp.app.inject({ method: 'GET', url: '/admin/v1/audit/export', query: { tenant: b }, headers: adminA.headers });
  t.equal(exported.statusCode, 403, 'the export refuses before it streams');
  // A cursor made from another tenant's entry moves only within the reader's own chain.
  const serviceCursor = (await read(serviceAdmin, { limit: '1' })).body.nextCursor ?? '';
  const viaCursor = await read(adminB, { cursor: serviceCursor });
  t.ok(viaCursor.body.entries.every((x) => x.tenantId === b));
});

t.test('a service-wide admin reads every chain, or one of them, the service-wide one included', async (t) => {
  const { read, serviceAdmin, a, b, e } = await fixture(t);
  const all = await read(serviceAdmin);
  t.same(idsOf(all.body), [e.service.id, e.refused.id, e.clientRevoke.id, e.other.id, e.clientCreate.id, e.rename.id]);
  t.same(idsOf((await read(serviceAdmin, { tenant: SERVICE_WIDE })).body), [e.service.id]);
  t.same(idsOf((await read(serviceAdmin, { tenant: b })).body), [e.other.id]);
  t.same(idsOf((await read(serviceAdmin, { tenant: a.toUpperCase(), action: 'oauth_client.' })).body), [e.clientRevoke.id, e.clientCreate.id]);
  // Paging across chains: every entry once, in order.
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: ListBody = (await read(serviceAdmin, { limit: '4', ...(cursor ? { cursor } : {}) })).body;
    seen.push(...idsOf(page));
    cursor = page.nextCursor;
  } while (cursor);
  t.same(seen, idsOf(all.body));
});

t.test('viewers are refused, tenant-scoped or service-wide, on the list and the export', async (t) => {
  const { testApp, viewerA, serviceViewer } = await fixture(t);
  for (const viewer of [viewerA, serviceViewer]) {
    const listed = await testApp.app.inject({ method: 'GET', url: '/admin/v1/audit', headers: viewer.headers });
    t.equal(listed.statusCode, 403);
    t.match(listed.json(), { error: 'forbidden' });
    const exported = await testApp.app.inject({ method: 'GET', url: '/admin/v1/audit/export', headers: viewer.headers });
    t.equal(exported.statusCode, 403);
  }
  t.equal((await testApp.app.inject({ method: 'GET', url: '/admin/v1/audit' })).statusCode, 401, 'no credential: 401');
});

t.test('the NDJSON export streams every matching entry oldest first, one JSON object a line', async (t) => {
  const { testApp, adminA, e, window } = await fixture(t);
  const res = await testApp.app.inject({ method: 'GET', url: '/admin/v1/audit/export', query: window, headers: adminA.headers });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'application/x-ndjson');
  t.match(res.headers['content-disposition'], /^attachment; filename="audit-.*\.ndjson"$/);
  const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEntryView);
  t.same(lines.map((l) => l.id), [e.rename.id, e.clientCreate.id, e.clientRevoke.id, e.refused.id]);
  t.same(lines[0]?.changes, { name: { old: 'Contoso', new: 'Contoso Ltd' } });
  const filtered = await testApp.app.inject({ method: 'GET', url: '/admin/v1/audit/export', query: { ...window, outcome: 'refused' }, headers: adminA.headers });
  t.same(filtered.body.trimEnd().split('\n').map((l) => (JSON.parse(l) as AuditEntryView).id), [e.refused.id]);
});

t.test('the CSV export quotes commas, quotes and line breaks and defuses formulas', async (t) => {
  const { testApp } = await fixture();
  const db = testApp.deps.database.db;
  const tenant = (await createTenant({ db, clock: testApp.deps.clock }, `csv-${randomUUID()}`, cliActor('test'))).id;
  const admin = await createTestAdmin(testApp, tenant);
  const actor = { type: 'oidc' as const, id: 'sub-1', label: '=HYPERLINK("http://evil.example")', userAgent: 'Mozilla/5.0 (X11, Linux)\nnext' };
  const entry = await seedAudit(db, tenant, '2025-04-01T00:00:00Z', { actor, action: 'tenant.rename', target: { type: 'tenant', id: tenant }, changes: { name: { old: 'A, "B"', new: '+C' } } });
  const res = await testApp.app.inject({ method: 'GET', url: '/admin/v1/audit/export', query: { format: 'csv', to: SEEDED_BEFORE }, headers: admin.headers });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  const [header, line, rest] = res.body.split('\r\n');
  t.equal(header, 'occurred_at,tenant_id,seq,id,actor_type,actor_id,actor_label,source_ip,user_agent,action,target_type,target_id,outcome,changes,detail,prev_hash,hash');
  t.equal(
    line,
    `2025-04-01T00:00:00.000Z,${tenant},${entry.seq},${entry.id},oidc,sub-1,"'=HYPERLINK(""http://evil.example"")",,` +
      // jsonb hands keys back its own way (shorter first, then bytewise): "new" before "old".
      `"Mozilla/5.0 (X11, Linux)\nnext",tenant.rename,tenant,${tenant},success,"{""name"":{""new"":""+C"",""old"":""A, \\""B\\""""}}",,${entry.prevHash ?? ''},${entry.hash}`,
  );
  t.equal(rest, '', 'one entry, then the final line break');
});
