/**
 * Issue 15, findings 1 and 2: client strings that reach a regex or the projection are bounded, and the
 * request that froze the process (a 40,000-character PATCH path) is refused at once. The CPU checks are the
 * ones the issue asks for (one request must not hold the event loop); CPU time, so machine load does not decide.
 */
import t from 'tap';
import { MAX_PATCH_PATH_LENGTH } from '../../src/scim/entra-compat.js';
import { compileProjection, MAX_PROJECTION_ATTRIBUTES } from '../../src/scim/representation.js';
import { buildTestApp } from '../helpers/app.js';
import { scimClient, PATCH_OP } from '../helpers/scim.js';
import { createTestTenant } from '../helpers/tenants.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

async function cpuMs<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(start);
  return { value, ms: (used.user + used.system) / 1000 };
}

t.test('a PATCH whose path is emails[ + 40,000 characters + ] is 400 invalidPath at once and changes nothing', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('long-path@contoso.com');
  const path = `emails[${'a'.repeat(40_000)}]`;
  const { value: res, ms } = await cpuMs(() => scim.patch(user.id, [{ op: 'replace', path, value: 'x' }]));
  t.equal(res.statusCode, 400);
  t.match(res.json(), { status: '400', scimType: 'invalidPath', detail: `"path" is longer than ${MAX_PATCH_PATH_LENGTH} characters.` });
  t.ok(ms < 250, `answered in ${ms.toFixed(0)} ms of CPU (was 1.6 s of blocked event loop)`);
  const got = (await scim.request('GET', `Users/${user.id}`)).json() as { meta: { version: string } };
  t.equal(got.meta.version, 'W/"1"');
});

t.test('a PATCH path at the limit is still parsed, and an ordinary value-filter path still applies', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('at-limit@contoso.com');
  const filler = 'a'.repeat(MAX_PATCH_PATH_LENGTH - 'emails[type eq "work" and value eq ""].value'.length);
  const atLimit = `emails[type eq "work" and value eq "${filler}"].value`;
  t.equal(atLimit.length, MAX_PATCH_PATH_LENGTH);
  const res = await scim.patch(user.id, [{ op: 'replace', path: atLimit, value: 'x@contoso.com' }]);
  t.not((res.json() as { detail?: string }).detail, `"path" is longer than ${MAX_PATCH_PATH_LENGTH} characters.`);
  const ok = await scim.patch(user.id, [{ op: 'add', path: 'emails[type eq "Work"].value', value: 'w@contoso.com' }]);
  t.equal(ok.statusCode, 200);
  // The type is kept as sent (issue 16); matching it ignores case.
  t.match(ok.json(), { emails: [{ type: 'Work', value: 'w@contoso.com' }] });
});

t.test('a path-less PATCH with a 40,000-character attribute name is 400 invalidPath', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const user = await scim.create('long-key@contoso.com');
  const res = await scim.patch(user.id, [{ op: 'replace', value: { [`emails[${'a'.repeat(40_000)}]`]: 'x' } }]);
  t.equal(res.statusCode, 400);
  t.match(res.json(), { scimType: 'invalidPath' });
});

t.test('POST /Users/.search with 69,000 attributes and count 1000 is 400 invalidValue at once', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  await scim.create('search@contoso.com');
  const attributes = Array.from({ length: 69_000 }, (_, i) => ['userName', 'emails.value', 'name.givenName'][i % 3]);
  const { value: res, ms } = await cpuMs(() => scim.request('POST', 'Users/.search', { schemas: [SEARCH], attributes, count: 1000 }));
  t.equal(res.statusCode, 400);
  t.match(res.json(), { status: '400', scimType: 'invalidValue', detail: `"attributes" may name at most ${MAX_PROJECTION_ATTRIBUTES} attributes.` });
  t.ok(ms < 250, `answered in ${ms.toFixed(0)} ms of CPU`);
});

t.test('GET ?attributes= and ?excludedAttributes= above the cap are 400 invalidValue; at the cap they are served', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  await scim.create('get@contoso.com');
  const over = Array.from({ length: MAX_PROJECTION_ATTRIBUTES + 1 }, () => 'userName').join(',');
  for (const name of ['attributes', 'excludedAttributes']) {
    const res = await scim.request('GET', `Users?${name}=${over}`);
    t.equal(res.statusCode, 400);
    t.match(res.json(), { scimType: 'invalidValue', detail: new RegExp(`at most ${MAX_PROJECTION_ATTRIBUTES}`) });
  }
  const at = Array.from({ length: MAX_PROJECTION_ATTRIBUTES }, () => 'USERNAME').join(',');
  const res = await scim.request('GET', `Users?attributes=${at}`);
  t.equal(res.statusCode, 200);
  t.same(Object.keys((res.json() as { Resources: Array<Record<string, unknown>> }).Resources[0] ?? {}).sort(), ['id', 'schemas', 'userName']);
});

t.test('an attribute name or sortBy longer than any attribute path is 400 invalidValue without echoing it', async (t) => {
  const testApp = await buildTestApp(t);
  const scim = scimClient(testApp.app, await createTestTenant(testApp));
  const long = 'a'.repeat(10_000);
  for (const query of [`attributes=${long}`, `excludedAttributes=${long}`, `sortBy=${long}`]) {
    const res = await scim.request('GET', `Users?${query}`);
    t.equal(res.statusCode, 400);
    t.match(res.json(), { scimType: 'invalidValue' });
    t.ok(res.body.length < 1000, 'the answer does not carry the 10,000 characters back');
  }
});

t.test('a compiled projection drops repeated paths and shapes every resource alike', async (t) => {
  const resource = {
    schemas: ['s'],
    id: '1',
    userName: 'a@contoso.com',
    emails: [{ type: 'work', value: 'a@contoso.com', primary: true }, { type: 'home', value: 'b@contoso.com' }],
    name: { givenName: 'A', familyName: 'B' },
  };
  const only = compileProjection(['emails.value', 'emails.value', 'name.givenName'], undefined);
  const expected = { schemas: ['s'], id: '1', emails: [{ value: 'a@contoso.com' }, { value: 'b@contoso.com' }], name: { givenName: 'A' } };
  t.same(only(resource), expected);
  t.same(only({ ...resource, id: '2' }), { ...expected, id: '2' });
  const without = compileProjection(undefined, ['emails', 'emails', 'name.familyName']);
  t.same(without(resource), { schemas: ['s'], id: '1', userName: 'a@contoso.com', name: { givenName: 'A' } });
  t.equal(resource.emails.length, 2, 'the stored resource is not changed');
});
