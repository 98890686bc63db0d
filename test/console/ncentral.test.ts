import t from 'tap';
import { ConsoleBrowser, fakeAdminTokens, signInWithToken } from '../helpers/console.js';
import { createTestTenant } from '../helpers/tenants.js';
import { buildTestApp } from '../helpers/app.js';
import { restConnector } from '../../src/ncentral/connector.js';
import { acmeEstate, FAKE_ENV } from '../ncentral/fake-app.js';
import { LOOPBACK_ALLOWED } from '../helpers/ncentral.js';
import { startFakeNcentral } from '../fakes/ncentral.js';

async function setup(t: { teardown(fn: () => unknown): void }) {
  const fake = await startFakeNcentral({ estate: acmeEstate() });
  t.teardown(() => fake.close());
  const tokens: Parameters<typeof fakeAdminTokens>[0] = {};
  const testApp = await buildTestApp(t, {
    env: FAKE_ENV,
    appOptions: {
      consoleAdminTokens: (tok) => fakeAdminTokens(tokens)(tok),
      ncentralConnector: restConnector({ backoff: { baseMs: 5, capMs: 50 }, pageSize: 2, allowedHosts: LOOPBACK_ALLOWED }),
    },
  });
  const mine = await createTestTenant(testApp);
  const theirs = await createTestTenant(testApp);
  tokens['admin'] = { tenantId: mine.tenantId, subject: 'ops admin', role: 'admin' };
  tokens['viewer'] = { tenantId: mine.tenantId, subject: 'ops viewer', role: 'viewer' };
  tokens['other'] = { tenantId: theirs.tenantId, subject: 'other admin', role: 'admin' };
  const admin = new ConsoleBrowser(testApp.app);
  await signInWithToken(admin, 'admin');
  await admin.get('/console/ncentral');
  const connect = (extra: Record<string, string> = {}) =>
    admin.post('/console/ncentral/connection', { url: fake.url, token: fake.userApiToken, caPem: fake.caPem ?? '', deviceSync: 'on', assetsUnderParent: 'on', syncTime: '20:00', ...extra });
  return { ...testApp, fake, admin, connect, mine, theirs };
}

t.test('an address that is not https is refused on the form with the reason', async (t) => {
  const { connect } = await setup(t);
  const res = await connect({ url: 'http://nc.example.com' });
  t.equal(res.statusCode, 400);
  t.match(res.body, /https/);
  t.match(res.body, 'class="notice bad"');
});

t.test('an internal address the operator has not listed is refused on the form in plain words', async (t) => {
  const { connect } = await setup(t);
  const res = await connect({ url: 'https://10.0.0.1' });
  t.equal(res.statusCode, 400);
  t.match(res.body, /10\.0\.0\.1 is not allowed: it must be a public address/);
  t.match(res.body, 'class="notice bad"');
});

t.test('Verify says in plain words when the token is refused', async (t) => {
  const { connect, admin, fake } = await setup(t);
  t.equal((await connect()).statusCode, 303);
  await admin.get('/console/ncentral');
  fake.rotateUserApiToken();
  const res = await admin.post('/console/ncentral/verify');
  t.match(res.body, 'Verify failed.');
  t.notMatch(res.body, fake.userApiToken);
});

t.test('options change without re-entering the token', async (t) => {
  const { connect, admin, fake } = await setup(t);
  await connect();
  await admin.get('/console/ncentral');
  const res = await admin.post('/console/ncentral/connection', { url: fake.url, token: '', syncTime: '21:30' });
  t.equal(res.statusCode, 303);
  const page = await admin.get('/console/ncentral');
  t.match(page.body, '21:30');
  t.match(page.body, /id="nc-deviceSync" name="deviceSync" value="on">/, 'unchecked boxes turn options off');
});

t.test('a viewer sees the wizard and the runs read-only', async (t) => {
  const { connect, app, admin } = await setup(t);
  await connect();
  await admin.get('/console/ncentral');
  await admin.post('/console/ncentral/verify');
  const viewer = new ConsoleBrowser(app);
  await signInWithToken(viewer, 'viewer');
  const wizard = await viewer.get('/console/ncentral');
  t.equal(wizard.statusCode, 200);
  t.notMatch(wizard.body, 'action="/console/ncentral/verify"');
  const clients = await viewer.get('/console/ncentral/clients');
  t.match(clients.body, 'Acme Corp');
  t.notMatch(clients.body, 'Auto-match all');
  const runs = await viewer.get('/console/ncentral/runs');
  t.notMatch(runs.body, 'Sync now');
});

t.test("another tenant's operator sees neither this tenant's connection, customers nor runs", async (t) => {
  const { connect, app, admin } = await setup(t);
  await connect();
  await admin.get('/console/ncentral');
  await admin.post('/console/ncentral/verify');
  await admin.get('/console/ncentral/preview');
  const finished = await admin.post('/console/ncentral/finish');
  const runPath = String(finished.headers.location);
  t.match(runPath, /^\/console\/ncentral\/runs\/[0-9a-f-]{36}$/);
  const other = new ConsoleBrowser(app);
  await signInWithToken(other, 'other');
  t.match((await other.get('/console/ncentral')).body, 'no N-central connection yet');
  t.equal((await other.get('/console/ncentral/clients')).statusCode, 303, 'sent to connect first');
  t.equal((await other.get(runPath)).statusCode, 404);
  t.notMatch((await other.get('/console/ncentral/runs')).body, runPath);
});
