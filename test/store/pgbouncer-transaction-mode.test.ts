import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { systemClock } from '../../src/clock.js';
import { createClient } from '../../src/oauth/credential-service.js';
import { connectDatabase } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { PREPARED_MARK, prepareMarkedStatements } from '../../src/store/prepared-statements.js';
import { createTenant } from '../../src/tenants/service.js';
import { adminQuery, testDatabaseUrl } from '../helpers/database.js';
import { pgbouncerPath, pgbouncerVersion, startPgbouncer } from '../helpers/pgbouncer.js';
import { freePort, printed, startService } from '../helpers/process.js';
import { CORE, ENTERPRISE, PATCH_OP } from '../helpers/scim.js';
import { cliActor } from '../../src/audit/request-actor.js';

/**
 * The service behind Debian's PgBouncer in transaction mode with DATABASE_PREPARED_STATEMENTS=false (docs/scaling.md):
 * every statement goes unnamed, so any server connection can run it. PgBouncer holds fewer server connections than
 * the service's pool, so concurrent requests really take turns on them; Entra's flows must all still work.
 */
const pgUrl = testDatabaseUrl();
const skip = !pgUrl
  ? 'PgBouncer pools PostgreSQL connections: PostgreSQL only (TEST_DATABASE_URL), not the embedded PGlite'
  : !pgbouncerPath
    ? "pgbouncer is not installed: `.ci/setup-pgbouncer` installs Debian's (apt-get install pgbouncer)"
    : false;

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const SCIM = 'application/scim+json';

interface User { id: string; userName: string; externalId?: string; active: boolean; name: { givenName: string; familyName: string }; meta: { version: string } }
interface ListResponse { totalResults: number; itemsPerPage: number; startIndex: number; Resources: User[] }

t.test('Entra\'s flows through PgBouncer in transaction mode with DATABASE_PREPARED_STATEMENTS=false', { skip }, async (t) => {
  if (!pgUrl || !pgbouncerPath) return;
  const schema = `test_pgbouncer_${randomBytes(4).toString('hex')}`;
  await adminQuery(pgUrl, `create schema ${schema}`);
  t.teardown(() => adminQuery(pgUrl, `drop schema if exists ${schema}, ${schema}_pgboss cascade`));

  // The tenant and OAuth client Entra is given, made directly before the service starts.
  const setup = await connectDatabase({ databaseUrl: pgUrl, schema });
  t.teardown(() => setup.close());
  await migrateToLatest(setup.db);
  const tenant = await createTenant({ db: setup.db, clock: systemClock }, `PgBouncer ${schema}`, cliActor('test'));
  const { clientId, clientSecret } = await createClient({ db: setup.db, clock: systemClock }, tenant.id, cliActor('test'));

  // PgBouncer drops the `options` startup parameter that carries DATABASE_SCHEMA, so the pool sets the search_path.
  const bouncer = await startPgbouncer(pgbouncerPath, pgUrl, [{ alias: 'portal', poolSize: 2, connectQuery: `SET search_path = ${schema}, public` }]);
  t.teardown(() => bouncer.stop());
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = await startService({
    PORT: String(port),
    PUBLIC_BASE_URL: base,
    DATABASE_URL: bouncer.url('portal'),
    DATABASE_SCHEMA: schema,
    DATABASE_PREPARED_STATEMENTS: 'false',
    DATABASE_POOL_MAX: '10',
    TENANT_MAX_CONCURRENT_REQUESTS: '100000',
    TENANT_REQUESTS_PER_SECOND: '1000000',
    TENANT_REQUEST_BURST: '1000000',
    // A loaded CI machine can take a minute to load the service under tsx; readiness is not what this test checks.
  }, { timeoutMs: 180_000 }).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\npgbouncer: ${bouncer.output().slice(-2000)}`);
  });
  t.teardown(() => service.stop());
  const failures: string[] = [];
  t.teardown(() => {
    if (failures.length) t.comment(`service: ${printed(service)}\npgbouncer: ${bouncer.output().slice(-3000)}`);
  });

  // 1. Entra's token request.
  const tokenRes = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  t.equal(tokenRes.status, 200, 'the token endpoint answers through the pooler');
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; etag: string | null }> => {
    const res = await fetch(`${base}/scim/v2/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': SCIM }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 500) failures.push(`${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined, etag: res.headers.get('etag') };
  };
  const list = async (query: string): Promise<ListResponse> => {
    const res = await call('GET', `Users?${query}`);
    t.equal(res.status, 200, `GET Users?${decodeURIComponent(query)}`, { body: res.json });
    return res.json as ListResponse;
  };
  const filter = (f: string, extra = ''): Promise<ListResponse> => list(`filter=${encodeURIComponent(f)}${extra}`);

  // 2. Test Connection: a random userName, nobody found.
  t.match(await filter(`userName eq "${randomUUID()}"`), { totalResults: 0, Resources: [] }, 'Test Connection finds nobody');

  // 3. Creates, twelve at once: the service's ten connections share PgBouncer's two server connections.
  const people = Array.from({ length: 12 }, (_, i) => ({
    userName: `pgb${String(i).padStart(2, '0')}@contoso.com`,
    externalId: `ext-${i}`,
    department: i % 2 === 0 ? 'Sales' : 'Support',
  }));
  const created = await Promise.all(
    people.map((p, i) =>
      call('POST', 'Users', {
        schemas: [CORE, ENTERPRISE], userName: p.userName, externalId: p.externalId, active: true, displayName: `Person ${i}`,
        name: { givenName: `Given${i}`, familyName: 'Pooled' }, emails: [{ type: 'work', primary: true, value: p.userName }],
        [ENTERPRISE]: { employeeNumber: `E${i}`, department: p.department },
      }),
    ),
  );
  t.same(created.map((r) => r.status), Array(12).fill(201), 'every create answers 201');
  const users = created.map((r) => r.json as User);
  const byName = new Map(users.map((u) => [u.userName, u]));
  const first = users.find((u) => u.userName === 'pgb00@contoso.com');
  if (!first) throw new Error('pgb00 was not created');
  t.equal((await call('POST', 'Users', { schemas: [CORE], userName: 'PGB00@contoso.com', active: true, name: { givenName: 'Twin', familyName: 'Pooled' } })).status, 409, 'a taken userName is still a 409');

  // 4. GET by id, with its ETag; a matching If-None-Match is a 304.
  const got = await call('GET', `Users/${first.id}`);
  t.equal(got.status, 200);
  t.match(got.json, { id: first.id, userName: 'pgb00@contoso.com', externalId: 'ext-0', [ENTERPRISE]: { employeeNumber: 'E0' } });
  t.ok(got.etag, 'GET answers an ETag');
  t.equal((await call('GET', `Users/${first.id}`, undefined, { 'if-none-match': got.etag ?? '' })).status, 304);

  // 5. Filters of several shapes, each shape twice with other values and all at once: a statement cache keyed by
  //    shape must not need the server connection that first ran a shape.
  const shapes: [string, (i: number) => string, (i: number) => string[]][] = [
    ['userName eq', (i) => `userName eq "PGB${String(i).padStart(2, '0')}@CONTOSO.COM"`, (i) => [`pgb${String(i).padStart(2, '0')}@contoso.com`]],
    ['externalId eq', (i) => `externalId eq "ext-${i}"`, (i) => [`pgb${String(i).padStart(2, '0')}@contoso.com`]],
    ['enterprise employeeNumber eq', (i) => `${ENTERPRISE}:employeeNumber eq "E${i}"`, (i) => [`pgb${String(i).padStart(2, '0')}@contoso.com`]],
    ['userName sw', (i) => `userName sw "pgb0${i}"`, (i) => [`pgb0${i}@contoso.com`]],
    ['and of eq and co', (i) => `externalId eq "ext-${i}" and userName co "contoso"`, (i) => [`pgb${String(i).padStart(2, '0')}@contoso.com`]],
    ['or of two eq', (i) => `userName eq "pgb0${i}@contoso.com" or userName eq "pgb1${i}@contoso.com"`, (i) => [`pgb0${i}@contoso.com`, `pgb1${i}@contoso.com`].filter((n) => byName.has(n))],
    ['value path', (i) => `emails[type eq "work" and value eq "pgb0${i}@contoso.com"]`, (i) => [`pgb0${i}@contoso.com`]],
  ];
  const asked = shapes.flatMap(([name, make, expected]) => [1, 2, 3].map((i) => ({ name, f: make(i), want: expected(i) })));
  const answers = await Promise.all(asked.map((a) => filter(a.f, '&sortBy=userName')));
  answers.forEach((answer, n) => {
    const a = asked[n];
    if (!a) return;
    t.same(answer.Resources.map((r) => r.userName).sort(), [...a.want].sort(), `${a.name}: ${a.f}`);
    t.equal(answer.totalResults, a.want.length, `${a.name}: exact totalResults`);
  });
  const sales = await filter(`${ENTERPRISE}:department eq "Sales"`);
  t.equal(sales.totalResults, 6, 'an extension attribute filter over several users counts exactly');

  // 6. PATCH as Entra sends it, to many users at once, and many to one user (concurrent writers of one row).
  const patches = await Promise.all(
    users.map((u, i) => call('PATCH', `Users/${u.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'name.givenName', value: `Renamed${i}` }] })),
  );
  t.same(patches.map((r) => r.status), Array(12).fill(200), 'every PATCH answers 200');
  t.same(patches.map((r) => (r.json as User).name.givenName), users.map((_, i) => `Renamed${i}`), 'each PATCH answers the changed user');
  t.equal(((await filter('name.givenName eq "Renamed3"')).Resources[0] ?? { userName: '' }).userName, 'pgb03@contoso.com', 'a PATCHed value is found by filter');
  const second = users.find((u) => u.userName === 'pgb01@contoso.com');
  if (!second) throw new Error('pgb01 was not created');
  const many = await Promise.all(
    Array.from({ length: 10 }, (_, i) => call('PATCH', `Users/${second.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'emails', value: [{ value: `alias${i}@contoso.com` }] }] })),
  );
  t.same(many.map((r) => r.status), Array(10).fill(200), 'ten concurrent PATCHes of one user all answer 200');
  const afterMany = (await call('GET', `Users/${second.id}`)).json as { emails: { value: string }[]; meta: { version: string } };
  t.same(afterMany.emails.map((e) => e.value).filter((v) => v.startsWith('alias')).sort(), Array.from({ length: 10 }, (_, i) => `alias${i}@contoso.com`).sort(), 'and none of them is lost');
  const disabled = await call('PATCH', `Users/${second.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
  t.match(disabled.json, { active: false }, 'Entra\'s string "False" disables');
  const stale = await call('PATCH', `Users/${second.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'x' }] }, { 'if-match': afterMany.meta.version });
  t.equal(stale.status, 412, 'a PATCH with a stale If-Match is refused');

  // 7. PUT replaces the whole user.
  const third = byName.get('pgb02@contoso.com');
  if (!third) throw new Error('pgb02 was not created');
  const put = await call('PUT', `Users/${third.id}`, { schemas: [CORE], userName: 'pgb02@contoso.com', externalId: 'ext-2', active: true, name: { givenName: 'Put', familyName: 'Whole' } });
  t.equal(put.status, 200);
  t.match(put.json, { name: { givenName: 'Put', familyName: 'Whole' } });
  t.notOk((put.json as Record<string, unknown>)[ENTERPRISE], 'PUT drops what it does not send');

  // 8. Index paging, as Entra's first cycle reads: exact totals, pages in order, no user twice.
  const seen: string[] = [];
  for (let startIndex = 1; startIndex <= 12; startIndex += 5) {
    const page = await list(`startIndex=${startIndex}&count=5`);
    t.equal(page.totalResults, 12, `startIndex=${startIndex}: exact totalResults`);
    t.equal(page.startIndex, startIndex);
    seen.push(...page.Resources.map((r) => r.id));
  }
  t.equal(seen.length, 12, 'three pages hold the twelve users');
  t.equal(new Set(seen).size, 12, 'each once');

  // 9. A group with members, added by PATCH as Entra does.
  const group = await call('POST', 'Groups', { schemas: [GROUP], displayName: 'Pooled Sales', externalId: 'entra-group-1', members: [] });
  t.equal(group.status, 201, 'a group is created');
  const groupId = (group.json as { id: string }).id;
  const added = await call('PATCH', `Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: users.slice(0, 3).map((u) => ({ value: u.id })) }] });
  t.ok(added.status === 200 || added.status === 204, 'members are added', { status: added.status });
  const members = ((await call('GET', `Groups/${groupId}`)).json as { members?: { value: string }[] }).members ?? [];
  t.same(members.map((m) => m.value).sort(), users.slice(0, 3).map((u) => u.id).sort(), 'the group lists its members');

  // 10. DELETE, then the user is gone.
  const last = byName.get('pgb11@contoso.com');
  if (!last) throw new Error('pgb11 was not created');
  t.equal((await call('DELETE', `Users/${last.id}`)).status, 204);
  t.equal((await call('GET', `Users/${last.id}`)).status, 404);
  t.equal((await filter('userName sw "pgb"')).totalResults, 11, 'the list counts the delete');

  // 11. The provisioning log holds every write's entry (written in its transaction) and the batched reads'.
  const operations = async (): Promise<Map<string, number>> => {
    const rows = await setup.db.selectFrom('provisioning_log').select(['operation', 'outcome']).where('tenant_id', '=', tenant.id).execute();
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(`${r.operation}/${r.outcome}`, (counts.get(`${r.operation}/${r.outcome}`) ?? 0) + 1);
    return counts;
  };
  let counts = await operations();
  for (let i = 0; i < 50 && !counts.get('Test connection/success'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    counts = await operations();
  }
  t.equal(counts.get('Create/success'), 12, 'twelve Create entries');
  t.equal(counts.get('Create/failure'), 1, 'and the refused duplicate');
  t.equal(counts.get('Update/success'), 22, 'an Update entry per PATCH (twelve renames, ten e-mail adds)');
  t.equal(counts.get('Disable/success'), 1, 'the disabling PATCH is a Disable');
  t.equal(counts.get('Replace/success'), 1, 'the PUT is a Replace');
  t.equal(counts.get('Delete/success'), 1);
  t.equal(counts.get('Create group/success'), 1);
  t.equal(counts.get('Add members/success'), 1);
  t.equal(counts.get('Test connection/success'), 1, 'Test Connection\'s read is logged too (batched)');
  t.same(failures, [], 'no request answered 5xx');
});

t.test('named prepared statements through PgBouncer 1.18 in transaction mode: why the setting exists', {
  skip: skip || (pgbouncerPath && pgbouncerVersion(pgbouncerPath)[0] === 1 && pgbouncerVersion(pgbouncerPath)[1] < 21
    ? false
    : 'PgBouncer 1.21+ can carry named statements itself (max_prepared_statements)'),
}, async (t) => {
  if (!pgUrl || !pgbouncerPath) return;
  // One server connection behind two clients: the second client's driver has not prepared the statement, the server
  // connection it is given already has, so PostgreSQL refuses the name (42P05). Unnamed, both run.
  const bouncer = await startPgbouncer(pgbouncerPath, pgUrl, [{ alias: 'single', poolSize: 1 }]);
  t.teardown(() => bouncer.stop());
  const connect = async (named: boolean): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: bouncer.url('single') });
    await client.connect();
    if (named) prepareMarkedStatements(client);
    t.teardown(() => client.end());
    return client;
  };
  const text = `select $1::int + 1 as n ${PREPARED_MARK}`;
  const [a, b] = [await connect(true), await connect(true)];
  t.same((await a.query(text, [1])).rows, [{ n: 2 }], 'the first client prepares and runs it');
  const refused = await b.query(text, [2]).then(() => undefined, (err: unknown) => err as { code?: string });
  t.equal(refused?.code, '42P05', 'the second client, on the same server connection, is refused: prepared statement already exists');
  const [c, d] = [await connect(false), await connect(false)];
  t.same((await c.query(text, [1])).rows, [{ n: 2 }]);
  t.same((await d.query(text, [2])).rows, [{ n: 3 }], 'with DATABASE_PREPARED_STATEMENTS=false (unnamed statements) both run');
});
