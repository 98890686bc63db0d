import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { ConsoleBrowser, fakeAdminTokens, signInWithToken } from '../helpers/console.js';
import { seedAccount, seedLogEntry } from '../helpers/console-data.js';
import { createTestTenant } from '../helpers/tenants.js';

const NOW = new Date('2026-01-15T10:00:00.000Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000);

async function setup(t: { teardown(fn: () => unknown): void }) {
  const tokens: Record<string, { tenantId: string | null; subject: string; role: 'viewer' | 'admin' }> = {};
  const testApp = await buildTestApp(t, { appOptions: { consoleAdminTokens: (tok) => fakeAdminTokens(tokens)(tok) } });
  const mine = await createTestTenant(testApp);
  const theirs = await createTestTenant(testApp);
  tokens['mine'] = { tenantId: mine.tenantId, subject: 'ops', role: 'viewer' };
  const browser = new ConsoleBrowser(testApp.app);
  await signInWithToken(browser, 'mine');
  return { ...testApp, db: testApp.deps.database.db, mine: mine.tenantId, theirs: theirs.tenantId, browser };
}

t.test('a failed entry is found by userName and opens with its error and changes old → new', async (t) => {
  const { db, mine, browser } = await setup(t);
  await seedLogEntry(db, mine, { at: hoursAgo(3), userName: 'alice@contoso.example' });
  const failed = await seedLogEntry(db, mine, {
    at: hoursAgo(2),
    operation: 'Update',
    userName: 'Alice@Contoso.example',
    outcome: 'failure',
    httpStatus: 400,
    scimType: 'invalidValue',
    detail: 'manager <b>not found</b>',
    changes: [{ attribute: 'title', old: 'Engineer', new: 'Lead' }],
  });
  await seedLogEntry(db, mine, { at: hoursAgo(1), userName: 'bob@contoso.example', outcome: 'failure' });
  const list = await browser.get('/console/logs?userName=alice%40contoso.example&outcome=failure');
  t.equal(list.statusCode, 200);
  t.match(list.body, `href="/console/logs/${failed}"`);
  t.notMatch(list.body, 'bob@contoso.example');
  const detail = await browser.get(`/console/logs/${failed}`);
  t.equal(detail.statusCode, 200);
  t.match(detail.body, 'Failed with HTTP 400');
  t.match(detail.body, 'invalidValue');
  t.match(detail.body, 'manager &lt;b&gt;not found&lt;/b&gt;', 'the detail is escaped');
  t.match(detail.body, /<code>title<\/code><\/td><td>Engineer<\/td><td aria-hidden="true">→<\/td><td>Lead<\/td>/);
});

t.test('the log pages newest first with a working Older link', async (t) => {
  const { db, mine, browser } = await setup(t);
  for (let i = 0; i < 55; i++) await seedLogEntry(db, mine, { at: new Date(hoursAgo(5).getTime() + i * 60_000), userName: `user${String(i).padStart(2, '0')}@x.example` });
  const first = await browser.get('/console/logs');
  t.match(first.body, 'user54@x.example');
  t.notMatch(first.body, 'user04@x.example');
  const older = /href="(\/console\/logs\?[^"]*cursor=[^"]+)"/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
  t.ok(older, 'an Older link');
  const second = await browser.get(older ?? '');
  t.match(second.body, 'user04@x.example');
  t.match(second.body, 'user00@x.example');
  t.notMatch(second.body, 'user05@x.example');
  t.notMatch(second.body, 'rel="next"', 'the last page has no Older link');
});

t.test('the chart counts successes and failures per hour of the window', async (t) => {
  const { db, mine, browser } = await setup(t);
  await seedLogEntry(db, mine, { at: hoursAgo(2.5) });
  await seedLogEntry(db, mine, { at: hoursAgo(2.4) });
  await seedLogEntry(db, mine, { at: hoursAgo(2.3), outcome: 'failure' });
  const res = await browser.get('/console/logs');
  t.match(res.body, '2 succeeded');
  t.match(res.body, '1 failed');
  t.match(res.body, /<title>2026-01-15T07:00:00Z: 2 succeeded, 1 failed<\/title>/);
});

t.test('the export link downloads the filtered range', async (t) => {
  const { db, mine, browser } = await setup(t);
  await seedLogEntry(db, mine, { at: hoursAgo(3), userName: 'carol@x.example', outcome: 'failure' });
  await seedLogEntry(db, mine, { at: hoursAgo(2), userName: 'dave@x.example' });
  const page = await browser.get('/console/logs?outcome=failure');
  const href = /href="(\/console\/logs\/export\?[^"]*format=csv)"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&');
  t.ok(href);
  const csv = await browser.get(href ?? '');
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /text\/csv/);
  t.match(csv.body, 'carol@x.example');
  t.notMatch(csv.body, 'dave@x.example');
});

t.test("a tenant's operator never sees another tenant's entries or accounts", async (t) => {
  const { db, mine, theirs, browser } = await setup(t);
  await seedLogEntry(db, mine, { at: hoursAgo(1), userName: 'mine@x.example' });
  const foreign = await seedLogEntry(db, theirs, { at: hoursAgo(1), userName: 'theirs@x.example', outcome: 'failure' });
  await seedAccount(db, theirs, 'theirs@x.example');
  await seedAccount(db, mine, 'mine@x.example');
  const list = await browser.get('/console/logs');
  t.match(list.body, 'mine@x.example');
  t.notMatch(list.body, 'theirs@x.example');
  t.equal((await browser.get(`/console/logs/${foreign}`)).statusCode, 404);
  t.notMatch((await browser.get('/console/logs/export?format=ndjson')).body, 'theirs@x.example');
  t.notMatch((await browser.get(`/console/logs?tenant=${theirs}`)).body, 'theirs@x.example', 'a tenant in the URL is ignored');
  const users = await browser.get('/console/users');
  t.match(users.body, 'mine@x.example');
  t.notMatch(users.body, 'theirs@x.example');
});

t.test('Users lists the tenant accounts by userName prefix and status, linking to their history', async (t) => {
  const { db, mine, browser } = await setup(t);
  await seedAccount(db, mine, 'ann@contoso.example');
  await seedAccount(db, mine, 'andy@contoso.example', false);
  await seedAccount(db, mine, 'zoe@contoso.example');
  const res = await browser.get('/console/users?userName=AN');
  t.match(res.body, 'ann@contoso.example');
  t.match(res.body, 'andy@contoso.example');
  t.notMatch(res.body, 'zoe@contoso.example');
  t.match(res.body, /href="\/console\/logs\?userName=ann%40contoso.example/);
  t.match(res.body, /<th scope="col">Role<\/th>/);
  t.match(res.body, /ann@contoso\.example<\/td>.*<td>read-only<\/td>/s, 'each account shows its effective role');
  const disabled = await browser.get('/console/users?status=disabled');
  t.match(disabled.body, 'andy@contoso.example');
  t.notMatch(disabled.body, 'ann@contoso.example');
});

t.test('a userName with LIKE wildcards matches literally', async (t) => {
  const { db, mine, browser } = await setup(t);
  await seedAccount(db, mine, 'a_b@x.example');
  await seedAccount(db, mine, 'axb@x.example');
  const res = await browser.get('/console/users?userName=a_');
  t.match(res.body, 'a_b@x.example');
  t.notMatch(res.body, 'axb@x.example');
});

t.test('a forged page cursor gets a 400 page, not a 500', async (t) => {
  const { browser } = await setup(t);
  const res = await browser.get('/console/logs?cursor=not-a-cursor');
  t.equal(res.statusCode, 400);
  t.match(res.headers['content-type'], /text\/html/);
});
