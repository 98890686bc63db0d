import t from 'tap';
import { restConnector } from '../../src/ncentral/connector.js';
import { buildTestApp } from '../helpers/app.js';
import { ConsoleBrowser, fakeAdminTokens, signInWithToken } from '../helpers/console.js';
import { LOOPBACK_ALLOWED } from '../helpers/ncentral.js';
import { createTestTenant } from '../helpers/tenants.js';
import { startFakeNcentral } from '../fakes/ncentral.js';
import { auditEntries, entriesSince } from '../ncentral/audit-entries.js';
import { acmeEstate, FAKE_ENV } from '../ncentral/fake-app.js';

/** Issue 19 through the console's N-central wizard: the signed-in person is the actor; a viewer's attempt is refused. */
t.test('the wizard records each change as the signed-in person, and a viewer refused', async (t) => {
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
  const db = testApp.deps.database.db;
  const { tenantId } = await createTestTenant(testApp);
  tokens['admin'] = { tenantId, subject: 'ops admin', role: 'admin' };
  tokens['viewer'] = { tenantId, subject: 'ops viewer', role: 'viewer' };
  const admin = new ConsoleBrowser(testApp.app);
  await signInWithToken(admin, 'admin');
  await admin.get('/console/ncentral');
  const form = { url: fake.url, token: fake.userApiToken, caPem: fake.caPem ?? '', deviceSync: 'on', assetsUnderParent: 'on', syncTime: '20:00' };
  t.equal((await admin.post('/console/ncentral/connection', form)).statusCode, 303);
  await admin.get('/console/ncentral');
  t.equal((await admin.post('/console/ncentral/connection', { ...form, token: '', caPem: '', syncTime: '06:15' })).statusCode, 303, 'options only');
  await admin.get('/console/ncentral');
  t.equal((await admin.post('/console/ncentral/connection', { ...form, url: 'http://nc.example.com' })).statusCode, 400);
  await admin.get('/console/ncentral');
  await admin.post('/console/ncentral/verify');
  const globex = (await db.selectFrom('ncentral_org_units').select('org_unit_id').where('tenant_id', '=', tenantId).where('name', 'like', '%GLOBEX%').executeTakeFirstOrThrow()).org_unit_id;
  await admin.get('/console/ncentral/clients');
  t.equal((await admin.post('/console/ncentral/units/exclude', { orgUnitId: globex, tab: 'unmatched' })).statusCode, 303);
  await admin.get('/console/ncentral/clients');
  t.equal((await admin.post('/console/ncentral/create-unmatched')).statusCode, 303);

  const who = { type: 'console', label: 'ops admin' };
  const entries = await auditEntries(db, tenantId);
  t.match(entries, [
    { action: 'ncentral.connection.create', outcome: 'success', actor: who, changes: { url: { old: null, new: fake.url } }, detail: { tokenEntered: true } },
    { action: 'ncentral.connection.update', outcome: 'success', actor: who, changes: { syncTime: { old: '20:00', new: '06:15' } } },
    { action: 'ncentral.connection.update', outcome: 'failure', actor: who, detail: { reason: 'invalid' } },
    { action: 'ncentral.verify', outcome: 'success', actor: who },
    { action: 'ncentral.exclude', outcome: 'success', actor: who, target: { type: 'ncentral_customer', id: globex }, changes: { state: { old: 'unmatched', new: 'excluded' } } },
    { action: 'ncentral.create_unmatched', outcome: 'success', actor: who },
  ]);
  t.notOk(JSON.stringify(entries).includes(fake.userApiToken), 'the N-central token is in no entry');

  const before = await auditEntries(db, tenantId);
  const viewer = new ConsoleBrowser(testApp.app);
  await signInWithToken(viewer, 'viewer');
  await viewer.get('/console/ncentral');
  t.equal((await viewer.post('/console/ncentral/units/unexclude', { orgUnitId: globex, tab: 'excluded' })).statusCode, 403);
  t.match(await entriesSince(db, tenantId, before), [
    { action: 'ncentral.unexclude', outcome: 'refused', actor: { type: 'console', label: 'ops viewer' }, target: { type: 'ncentral_customer', id: globex } },
  ]);
  t.equal((await db.selectFrom('ncentral_org_units').select('state').where('tenant_id', '=', tenantId).where('org_unit_id', '=', globex).executeTakeFirstOrThrow()).state, 'excluded');
});
