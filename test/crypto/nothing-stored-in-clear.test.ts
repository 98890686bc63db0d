import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../src/cli/run.js';
import { establishSealingKey } from '../../src/crypto/sealing-key-service.js';
import { openSecret, sealContext } from '../../src/crypto/sealed-secret.js';
import { createLogger } from '../../src/log.js';
import { createTestAdmin } from '../helpers/admin.js';
import { testClock } from '../helpers/clock.js';
import { ConsoleBrowser, signInWithToken } from '../helpers/console.js';
import { sharedTestDatabase } from '../helpers/database.js';
import { LOOPBACK_HOSTS } from '../helpers/ncentral.js';
import { createTestTenant } from '../helpers/tenants.js';
import { dumpDatabase, fakeApp } from '../ncentral/fake-app.js';

t.test('on the zero-config path no secret, and not the key, is stored in any row of any table', async (t) => {
  // The key as createDeps settles it with ENCRYPTION_KEY unset: generated into the key file.
  const dir = await mkdtemp(join(tmpdir(), 'pp-clear-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { database } = await sharedTestDatabase();
  const key = await establishSealingKey({
    db: database.db,
    clock: testClock(),
    log: createLogger('silent'),
    config: { encryptionKey: undefined, encryptionKeyPrevious: undefined, encryptionKeyFile: join(dir, 'encryption-key') },
  });
  const a = await fakeApp(t, {}, { ENCRYPTION_KEY: key.toString('hex'), NCENTRAL_ALLOWED_HOSTS: LOOPBACK_HOSTS });

  // OAuth client, access token and the first signing key (fakeApp's tenant), a second tenant, a tenant admin token.
  const other = await createTestTenant(a);
  const tenantAdminToken = (a.headers['authorization'] ?? '').replace(/^Bearer /, '');
  // The N-central connection (its User-API token sealed), through the admin API.
  await a.connect();
  // A SCIM secret token, through the CLI's command code.
  const out: string[] = [];
  t.equal(await runCli(['token', 'create', '--tenant', a.tenantId, '--json'], { out: (l) => out.push(l), err: () => undefined }, async () => a.deps), 0);
  const secretToken = (JSON.parse(out.join('\n')) as { token: string }).token;
  // A service-wide admin token and a console session signed in with it.
  const wide = await createTestAdmin(a);
  const browser = new ConsoleBrowser(a.app);
  const signIn = await signInWithToken(browser, wide.token);
  t.equal(signIn.statusCode, 303, signIn.body);
  t.ok(browser.cookies.size > 0);
  // The access token really works, so the signing key was used.
  t.equal((await a.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: other.scimHeaders })).statusCode, 200);

  const signing = await a.deps.database.db.selectFrom('signing_keys').select(['kid', 'private_key', 'sealed']).execute();
  t.ok(signing.length > 0 && signing.every((k) => k.sealed));
  const privateParts = signing.map((k) => (JSON.parse(openSecret(key, k.private_key, sealContext.signingKey(k.kid))) as { d: string }).d);

  const secrets: Record<string, string> = {
    'client secret': other.clientSecret,
    'access token': other.accessToken,
    'tenant admin token': tenantAdminToken,
    'service-wide admin token': wide.token,
    'SCIM secret token': secretToken,
    'N-central User-API token': a.fake.userApiToken,
    ...Object.fromEntries(privateParts.map((d, i) => [`signing key ${i} private part`, d])),
    ...Object.fromEntries([...browser.cookies].map(([name, value]) => [`console cookie ${name}`, decodeURIComponent(value).split('.')[0] ?? ''])),
    'encryption key (hex)': key.toString('hex'),
    'encryption key (base64)': key.toString('base64'),
    'encryption key (base64url)': key.toString('base64url'),
  };
  const dump = await dumpDatabase(a);
  t.ok(dump.includes(a.tenantId) && dump.includes(other.tenantId), 'the dump holds both tenants');
  for (const [what, secret] of Object.entries(secrets)) {
    t.ok(secret.length >= 16, `${what} is a real value`);
    t.notOk(dump.includes(secret), `${what} is not stored in clear`);
  }
  // A control: the same search finds a value that is stored in clear (the connection's address).
  t.ok(dump.includes(a.fake.url.replace(/\/+$/, '')));
});
