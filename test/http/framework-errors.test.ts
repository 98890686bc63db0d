import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

// Found by the hostile-input fuzz (npm run chaos): Fastify's router answered these in its own JSON.
t.test('an over-long id under /scim is a 404 SCIM Error, not Fastify JSON', async (t) => {
  const { app } = await buildTestApp(t, { contractCheck: true });
  const res = await app.inject({ method: 'DELETE', url: `/scim/v2/Users/${'a'.repeat(300)}` });
  t.equal(res.statusCode, 404);
  t.match(res.headers['content-type'], /^application\/scim\+json/);
  t.same(res.json(), { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: 'No resource has an identifier that long.' });
});

t.test('a path segment that is not UTF-8 is a 400 in the route family shape', async (t) => {
  const { app } = await buildTestApp(t, { contractCheck: true });
  const scim = await app.inject({ method: 'GET', url: '/scim/v2/Users/%c3%28' });
  t.equal(scim.statusCode, 400);
  t.match(scim.json(), { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400' });
  const admin = await app.inject({ method: 'GET', url: '/admin/v1/provisioning-logs/%ff' });
  t.equal(admin.statusCode, 400);
  t.same(admin.json(), { error: 'invalidInput', message: 'The URL is not valid percent-encoded UTF-8.' });
});
