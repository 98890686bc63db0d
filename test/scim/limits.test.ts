import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { scimClient, PATCH_OP } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

t.test('a PATCH with more operations than SCIM_MAX_PATCH_OPERATIONS is 400 invalidValue and changes nothing', async (t) => {
  const testApp = await buildTestApp(t, { env: { SCIM_MAX_PATCH_OPERATIONS: '3' } });
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('ops@contoso.com');
  const ops = Array.from({ length: 4 }, (_, i) => ({ op: 'replace', path: 'displayName', value: `n${i}` }));
  const res = await scim.request('PATCH', `Users/${user.id}`, { schemas: [PATCH_OP], Operations: ops });
  t.equal(res.statusCode, 400);
  t.match(res.json(), { status: '400', scimType: 'invalidValue', detail: /at most 3 operations/ });
  const got = (await scim.request('GET', `Users/${user.id}`)).json() as { displayName?: string; meta: { version: string } };
  t.equal(got.displayName, undefined);
  t.equal(got.meta.version, 'W/"1"');
  const fine = await scim.request('PATCH', `Users/${user.id}`, { schemas: [PATCH_OP], Operations: ops.slice(0, 3) });
  t.equal(fine.statusCode, 200);
});

t.test('a filter longer than SCIM_MAX_FILTER_LENGTH is 400 invalidFilter', async (t) => {
  const testApp = await buildTestApp(t, { env: { SCIM_MAX_FILTER_LENGTH: '64' } });
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const long = `userName eq "${'a'.repeat(60)}"`;
  const res = await scim.request('GET', `Users?filter=${encodeURIComponent(long)}`);
  t.equal(res.statusCode, 400);
  t.match(res.json(), { scimType: 'invalidFilter', detail: /longer than 64 characters/ });
  const short = await scim.request('GET', `Users?filter=${encodeURIComponent('userName eq "a"')}`);
  t.equal(short.statusCode, 200);
});
