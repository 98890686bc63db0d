import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { createTestAdmin } from '../helpers/admin.js';
import { seedEntry } from '../helpers/provisioning-log.js';
import { createTestTenant } from '../helpers/tenants.js';

async function fixture(t: { teardown(fn: () => unknown): void }) {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, tenant.tenantId);
  const db = testApp.deps.database.db;
  const ids = [
    await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-15T09:10:00Z', operation: 'Create', userName: '=HYPERLINK("http://x")', detail: 'said "hi", then left', changes: [{ attribute: 'displayName', old: 'A', new: 'B' }] }),
    await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-15T09:40:00Z', operation: 'Create', outcome: 'failure' }),
    await seedEntry(db, tenant.tenantId, { occurredAt: '2026-01-15T11:05:00Z', operation: 'Update' }),
  ];
  const get = (url: string, query: Record<string, string> = {}) =>
    testApp.app.inject({ method: 'GET', url: `/admin/v1/provisioning-logs${url}`, query, headers: admin.headers });
  return { testApp, tenant, ids, get };
}

t.test('export streams NDJSON oldest first, one whole entry per line', async (t) => {
  const { ids, get } = await fixture(t);
  const res = await get('/export');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/x-ndjson/);
  t.match(res.headers['content-disposition'], /^attachment; filename="provisioning-log-.*\.ndjson"$/);
  const lines = res.payload.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; changes: unknown });
  t.same(lines.map((l) => l.id), ids);
  t.same(lines[0]?.changes, [{ attribute: 'displayName', old: 'A', new: 'B' }]);
});

t.test('export applies the same filters as the list', async (t) => {
  const { ids, get } = await fixture(t);
  const res = await get('/export', { from: '2026-01-15T09:30:00Z', outcome: 'success' });
  t.same(res.payload.trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id), [ids[2]]);
});

t.test('export of an empty range is an empty body, and for CSV just the header', async (t) => {
  const { get } = await fixture(t);
  t.equal((await get('/export', { from: '2030-01-01T00:00:00Z' })).payload, '');
  const csv = await get('/export', { from: '2030-01-01T00:00:00Z', format: 'csv' });
  t.equal(csv.payload, 'id,occurred_at,tenant_id,client_id,request_id,operation,target_id,target_user_name,target_external_id,http_status,outcome,scim_type,detail,changes,duration_ms\r\n');
});

t.test('CSV export quotes per RFC 4180 and defuses spreadsheet formulas', async (t) => {
  const { ids, get } = await fixture(t);
  const res = await get('/export', { format: 'csv', to: '2026-01-15T09:30:00Z' });
  t.match(res.headers['content-type'], /^text\/csv/);
  const [header, line] = res.payload.split('\r\n');
  t.match(header, /^id,occurred_at,/);
  t.match(line, new RegExp(`^${ids[0]},2026-01-15T09:10:00.000Z,`));
  t.match(line, /,"'=HYPERLINK\(""http:\/\/x""\)",/);
  t.match(line, /,"said ""hi"", then left",/);
  // jsonb keeps its own key order, so the changes cell is checked by parsing it back.
  const cell = /,"(\[.*\])",3$/.exec(line ?? '')?.[1] ?? '';
  t.same(JSON.parse(cell.replaceAll('""', '"')), [{ attribute: 'displayName', old: 'A', new: 'B' }]);
});

t.test('export refuses an unknown format with 400', async (t) => {
  const { get } = await fixture(t);
  t.equal((await get('/export', { format: 'xlsx' })).statusCode, 400);
});

t.test('summary counts by outcome and operation for every hour of the window', async (t) => {
  const { get } = await fixture(t);
  const res = await get('/summary', { from: '2026-01-15T09:00:00Z', to: '2026-01-15T12:00:00Z' });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.same(body.totals, { success: 2, failure: 1 });
  t.same(body.byOperation, { Create: { success: 1, failure: 1 }, Update: { success: 1, failure: 0 } });
  t.same(body.hours, [
    { hour: '2026-01-15T09:00:00Z', totals: { success: 1, failure: 1 }, byOperation: { Create: { success: 1, failure: 1 } } },
    { hour: '2026-01-15T10:00:00Z', totals: { success: 0, failure: 0 }, byOperation: {} },
    { hour: '2026-01-15T11:00:00Z', totals: { success: 1, failure: 0 }, byOperation: { Update: { success: 1, failure: 0 } } },
  ]);
});

t.test('summary defaults to the 24 hours before now on the service clock', async (t) => {
  const { get, testApp } = await fixture(t);
  testApp.clock.set('2026-01-15T12:00:00Z');
  const body = (await get('/summary')).json();
  t.equal(body.from, '2026-01-14T12:00:00.000Z');
  t.equal(body.to, '2026-01-15T12:00:00.000Z');
  t.equal(body.hours.length, 24);
  t.same(body.totals, { success: 2, failure: 1 });
});

t.test('summary refuses a window longer than 31 days or reversed', async (t) => {
  const { get } = await fixture(t);
  t.equal((await get('/summary', { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' })).statusCode, 400);
  t.equal((await get('/summary', { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' })).statusCode, 400);
});
