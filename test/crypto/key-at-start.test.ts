import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { systemClock } from '../../src/clock.js';
import { createClient } from '../../src/oauth/credential-service.js';
import { openEmbedded } from '../../src/store/embedded.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createTenant } from '../../src/tenants/service.js';
import { adminQuery, testDatabaseUrl } from '../helpers/database.js';
import { printed, projectRoot, startService, type ServiceProcess } from '../helpers/process.js';
import { cliActor } from '../../src/audit/request-actor.js';

/** Real processes: the service (src/main.ts) and the CLI, started as an operator would, with no ENCRYPTION_KEY. */

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-key-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** PGlite in a folder starts slowly on a busy machine (two cores shared by every test run). */
const SLOW_START_MS = 150_000;

async function token(service: ServiceProcess, clientId: string, clientSecret: string): Promise<number> {
  const res = await fetch(service.url('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
  });
  return res.status;
}

async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: projectRoot,
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

t.test('embedded database, no ENCRYPTION_KEY: the key file is made once (0600), used by the next start and the CLI; lost, the start is refused', async (t) => {
  const dataDir = tempDir();
  const keyFile = join(dataDir, 'encryption-key');
  // A tenant and its client first, straight into the data folder (neither needs the key).
  const db = await openEmbedded(dataDir);
  await migrateToLatest(db.db);
  const tenant = await createTenant({ db: db.db, clock: systemClock }, 'Contoso', cliActor('test'));
  const { clientId, clientSecret } = await createClient({ db: db.db, clock: systemClock }, tenant.id, cliActor('test'));
  await db.close();

  const first = await startService({ DATA_DIR: dataDir }, { timeoutMs: SLOW_START_MS });
  t.equal(await token(first, clientId, clientSecret), 200, 'the first signing key is made, sealed under the file key');
  t.equal(await first.stop(), 0);
  const generated = first.stdout().split('\n').filter((l) => l.includes('generated the encryption key in'));
  t.equal(generated.length, 1, 'logged once');
  t.match(generated[0], keyFile);
  t.match(generated[0], /back it up with the data/);
  t.notMatch(first.stdout(), /stored unencrypted/);
  t.equal(statSync(keyFile).mode & 0o777, 0o600);
  const keyText = readFileSync(keyFile, 'utf8');

  const second = await startService({ DATA_DIR: dataDir }, { timeoutMs: SLOW_START_MS });
  t.equal(await token(second, clientId, clientSecret), 200, 'after a restart the sealed signing key opens with the same file key');
  t.equal(await second.stop(), 0);
  t.notMatch(second.stdout(), /generated the encryption key/);
  t.equal(readFileSync(keyFile, 'utf8'), keyText, 'reused, not replaced');

  // The CLI opens the same data folder and so the same key: `keys list` shows the key sealed, never UNSEALED.
  const list = await cli({ DATA_DIR: dataDir }, 'keys', 'list', '--json');
  t.equal(list.code, 0, list.stderr);
  const keys = (JSON.parse(list.stdout) as { keys: { sealed: boolean }[] }).keys;
  t.same(keys.map((k) => k.sealed), [true]);
  t.notMatch(list.stderr, /generated/);

  // A lost key file: a new key would be generated, which does not open the stored secrets. Refused at start.
  unlinkSync(keyFile);
  const lost = await startService({ DATA_DIR: dataDir }, { waitReady: false });
  t.teardown(() => lost.stop());
  t.equal(await lost.exited, 1, printed(lost));
  const lines = lost.stderr().trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], /^portal-provisioning: cannot start: the encryption key \(the key file .*encryption-key, as ENCRYPTION_KEY is unset\) is not the key that sealed the stored secrets/);
  t.match(lines[0], /ENCRYPTION_KEY/);
});

const pgUrl = testDatabaseUrl();

t.test('one PostgreSQL, two processes with different keys: the second refuses to start naming ENCRYPTION_KEY; rotation with ENCRYPTION_KEY_PREVIOUS, after which the old key is refused', { skip: pgUrl ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const schema = `test_keys_${randomBytes(4).toString('hex')}`;
  await adminQuery(pgUrl ?? '', `create schema ${schema}`);
  t.teardown(() => adminQuery(pgUrl ?? '', `drop schema if exists ${schema}, ${schema}_pgboss cascade`));
  const base = { DATABASE_URL: pgUrl ?? '', DATABASE_SCHEMA: schema, DATA_DIR: tempDir() };
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('hex');

  const first = await startService({ ...base, ENCRYPTION_KEY: k1 });
  t.teardown(() => first.stop());
  const second = await startService({ ...base, ENCRYPTION_KEY: k2 }, { waitReady: false });
  t.equal(await second.exited, 1);
  const lines = second.stderr().trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], /^portal-provisioning: cannot start: the encryption key \(ENCRYPTION_KEY\) is not the key that sealed the stored secrets \(fingerprint hmac-sha256:.*start with the same ENCRYPTION_KEY/);
  // A replica with no key at all would generate a key file of its own: refused too.
  const keyless = await startService({ ...base, DATA_DIR: tempDir() }, { waitReady: false });
  t.equal(await keyless.exited, 1);
  t.match(keyless.stderr(), /ENCRYPTION_KEY/);
  t.equal((await fetch(first.url('/readyz'))).status, 200, 'the first keeps serving');
  t.equal(await first.stop(), 0);

  const rotating = await startService({ ...base, ENCRYPTION_KEY: k2, ENCRYPTION_KEY_PREVIOUS: k1, LOG_LEVEL: 'warn' });
  t.match(rotating.stdout(), /rotated the encryption key/);
  t.equal(await rotating.stop(), 0);
  const old = await startService({ ...base, ENCRYPTION_KEY: k1 }, { waitReady: false });
  t.equal(await old.exited, 1);
  t.match(old.stderr(), /not the key that sealed the stored secrets/);
  const rotated = await startService({ ...base, ENCRYPTION_KEY: k2 });
  t.equal((await fetch(rotated.url('/readyz'))).status, 200);
  t.equal(await rotated.stop(), 0);
});
