import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { createTestAdmin } from '../helpers/admin.js';
import { ERROR, scimClient, userBody } from '../helpers/scim.js';
import { createTestTenant, type TestTenant } from '../helpers/tenants.js';

/**
 * Issue 15 item 10: each tenant has its share of the process (requests at once, requests per second); above it a
 * 429 SCIM Error with Retry-After, while every other tenant goes on unthrottled. The test clock stands still,
 * so no bucket refills during a test: what is admitted is exactly the burst.
 */
const share = (concurrent: number, perSecond: number, burst: number) => ({
  TENANT_MAX_CONCURRENT_REQUESTS: String(concurrent),
  TENANT_REQUESTS_PER_SECOND: String(perSecond),
  TENANT_REQUEST_BURST: String(burst),
});

/** A SCIM create whose body is still arriving: it holds one of its tenant's slots until `finish()`. */
function heldCreate(testApp: TestApp, tenant: TestTenant, userName: string) {
  const body = new PassThrough();
  const text = JSON.stringify(userBody(userName));
  body.write(text.slice(0, 10));
  const response = testApp.app.inject({
    method: 'POST',
    url: '/scim/v2/Users',
    headers: { ...tenant.scimHeaders, 'content-type': 'application/scim+json' },
    payload: body,
  });
  return { response, finish: () => body.end(text.slice(10)) };
}

t.test("a tenant flooding past its rate gets 429 SCIM Errors with Retry-After; another tenant's requests all succeed", async (t) => {
  const testApp = await buildTestApp(t, { env: share(100, 1, 10) });
  const [a, b] = [await createTestTenant(testApp), await createTestTenant(testApp)];
  const [scimA, scimB] = [scimClient(testApp.app, a), scimClient(testApp.app, b)];

  const flood = await Promise.all(Array.from({ length: 40 }, () => scimA.request('GET', 'Users?count=1')));
  const statuses = flood.map((r) => r.statusCode);
  t.equal(statuses.filter((s) => s === 200).length, 10, 'the burst is admitted');
  t.equal(statuses.filter((s) => s === 429).length, 30, 'the rest is refused');
  const refused = flood.find((r) => r.statusCode === 429);
  t.equal(refused?.headers['retry-after'], '1');
  t.match(refused?.headers['content-type'], /^application\/scim\+json/);
  const error = refused?.json() as Record<string, unknown>;
  t.same(error['schemas'], [ERROR]);
  t.equal(error['status'], '429');
  t.equal(error['scimType'], undefined, 'RFC 7644 §3.12 defines no scimType for this');
  t.match(error['detail'], /requests per second/);

  const calm = await Promise.all([
    ...Array.from({ length: 5 }, () => scimB.request('GET', 'Users?count=1')),
    ...Array.from({ length: 5 }, (_, i) => scimB.request('POST', 'Users', userBody(`b-${i}@contoso.test`))),
  ]);
  t.same(calm.map((r) => r.statusCode), [200, 200, 200, 200, 200, 201, 201, 201, 201, 201]);
});

t.test("a tenant's requests held open use up its own slots only: another tenant's requests complete meanwhile", async (t) => {
  const testApp = await buildTestApp(t, { env: share(2, 1_000_000, 1_000_000) });
  const [a, b] = [await createTestTenant(testApp), await createTestTenant(testApp)];
  const [scimA, scimB] = [scimClient(testApp.app, a), scimClient(testApp.app, b)];

  let created = 0;
  const hold = () => heldCreate(testApp, a, `held-${++created}@contoso.test`);
  const settled = (p: Promise<unknown>) => Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
  const held = [hold(), hold()];
  // Wait until both held requests have taken their slots. One that reached the limit while a probe was in flight
  // was refused (its answer has come): it is replaced.
  let probe = await scimA.request('GET', 'Users?count=1');
  for (let tries = 0; probe.statusCode !== 429 && tries < 200; tries++) {
    for (const [i, h] of held.entries()) if (await settled(h.response)) held[i] = hold();
    await new Promise((resolve) => setTimeout(resolve, 5));
    probe = await scimA.request('GET', 'Users?count=1');
  }
  t.equal(probe.statusCode, 429, "tenant A's third request at once is refused");
  t.equal(probe.headers['retry-after'], '1');
  t.match(probe.json().detail, /requests at once/);
  const moreA = await Promise.all(Array.from({ length: 3 }, () => scimA.request('GET', 'Users?count=1')));
  t.same(moreA.map((r) => r.statusCode), [429, 429, 429], 'tenant A stays refused while its slots are held');

  // Tenant B, within its own share (two at a time), completes while A's slots stay held.
  const calm = [];
  for (let i = 0; i < 6; i += 2) {
    calm.push(...(await Promise.all([0, 1].map((j) => scimB.request('POST', 'Users', userBody(`b-${i + j}@contoso.test`))))));
  }
  t.same(calm.map((r) => r.statusCode), [201, 201, 201, 201, 201, 201], "tenant B is not blocked by A's held slots");

  for (const h of held) h.finish();
  t.same((await Promise.all(held.map((h) => h.response))).map((r) => r.statusCode), [201, 201]);
  t.equal((await scimA.request('GET', 'Users?count=1')).statusCode, 200, 'finished requests give their slots back');
});

t.test('a client that goes away mid-body gives its slot back, so a tenant is never locked out by leaked slots', async (t) => {
  const testApp = await buildTestApp(t, { env: share(1, 1_000_000, 1_000_000) });
  const a = await createTestTenant(testApp);
  const scimA = scimClient(testApp.app, a);
  const port = Number(new URL(await testApp.app.listen({ port: 0, host: '127.0.0.1' })).port);
  /** A create sent over a socket of its own that stops a few bytes into its body. */
  const halfSent = async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const state = { socket, answered: false };
    socket.on('data', () => (state.answered = true));
    socket.write(
      `POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${a.scimHeaders['authorization']}\r\n` +
        'Content-Type: application/scim+json\r\nContent-Length: 1000\r\n\r\n{"userName":',
    );
    return state;
  };
  let held = await halfSent();
  const waitFor = async (status: number) => {
    let res = await scimA.request('GET', 'Users?count=1');
    for (let tries = 0; res.statusCode !== status && tries < 400; tries++) {
      // Refused because a probe held the slot as it arrived: send it again.
      if (status === 429 && held.answered) {
        held.socket.destroy();
        held = await halfSent();
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      res = await scimA.request('GET', 'Users?count=1');
    }
    return res.statusCode;
  };
  t.equal(await waitFor(429), 429, 'the half-sent request holds the only slot');
  held.socket.destroy();
  t.equal(await waitFor(200), 200, 'the slot is free again once the client has gone');
});

t.test("a tenant's admin API calls have a share of their own, apart from its SCIM share", async (t) => {
  const testApp = await buildTestApp(t, { env: share(100, 1, 3) });
  const a = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, a.tenantId);
  const list = () => testApp.app.inject({ method: 'GET', url: '/admin/v1/provisioning-logs', headers: admin.headers });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await list()).statusCode);
  t.same(statuses, [200, 200, 200, 429]);
  const refused = await list();
  t.equal(refused.headers['retry-after'], '1');
  t.equal(refused.json().error, 'rateLimited');
  t.equal((await scimClient(testApp.app, a).request('GET', 'Users?count=1')).statusCode, 200, 'the SCIM share is untouched');
});

t.test('a service-wide admin (no tenant) is not held to a tenant share', async (t) => {
  const testApp = await buildTestApp(t, { env: share(100, 1, 1) });
  const admin = await createTestAdmin(testApp);
  for (let i = 0; i < 3; i++) {
    t.equal((await testApp.app.inject({ method: 'GET', url: '/admin/v1/provisioning-logs', headers: admin.headers })).statusCode, 200);
  }
});

t.test('refusals are counted by tenant in GET /metrics', async (t) => {
  const testApp = await buildTestApp(t, { env: share(100, 1, 1) });
  const a = await createTestTenant(testApp);
  const scimA = scimClient(testApp.app, a);
  for (let i = 0; i < 3; i++) await scimA.request('GET', 'Users?count=1');
  const text = (await testApp.app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(text, new RegExp(`tenant_requests_throttled_total\\{tenant="${a.tenantId}",family="scim",reason="rate"\\} 2\\n`));
});
