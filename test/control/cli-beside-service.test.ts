/**
 * Issue 12: the CLI works beside a running service on the embedded database. The real service (`node
 * dist/src/main.js`, what `npm start` runs) and the real CLI binary (`dist/src/cli/main.js`) as processes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startFakeNcentral } from '../fakes/ncentral.js';
import { schemaBehindProxy, testDatabaseUrl } from '../helpers/database.js';
import { LOOPBACK_HOSTS } from '../helpers/ncentral.js';
import { buildDist, printed, projectRoot, startService, type ServiceProcess } from '../helpers/process.js';
import { acmeEstate } from '../ncentral/fake-app.js';

const SOCKET = 'portal-provisioning.sock';
const LOCK = 'portal-provisioning.lock';
const TOKEN = 'portal-provisioning.control';

// Four service starts and some thirty CLI processes, on a machine the suite shares: more than the 300 s default.
t.setTimeout(900_000);
t.before(buildDist);

const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json(): Record<string, unknown>;
}

/** Runs the built CLI in `cwd` with exactly `env` (plus PATH), as an operator's shell would. */
function cli(env: Record<string, string>, cwd: string, ...argv: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [join(projectRoot, 'dist/src/cli/main.js'), ...argv], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> })),
  );
}

/** The shape of a JSON answer: its keys and the JSON type of each value, so two runs compare without their ids. */
const shape = (value: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k] === null ? 'null' : Array.isArray(value[k]) ? 'array' : typeof value[k]]));

/** The sequence: tenant, OAuth client, admin token, N-central connection (relative file paths). */
async function sequence(env: Record<string, string>, cwd: string, name: string, ncentralUrl: string) {
  const tenant = await cli(env, cwd, 'tenant', 'create', name, '--json');
  const client = await cli(env, cwd, 'client', 'create', '--tenant', name, '--json');
  const adminToken = await cli(env, cwd, 'admin-token', 'create', '--json');
  const ncentral = await cli(env, cwd, 'ncentral', 'connect', '--tenant', name, '--url', ncentralUrl, '--token-file', 'token', '--ca-file', 'ca.pem', '--json');
  const duplicate = await cli(env, cwd, 'tenant', 'create', name, '--json');
  const usage = await cli(env, cwd, 'tenant', 'rename', '--json');
  const human = await cli(env, cwd, 'tenant', 'list');
  return { tenant, client, adminToken, ncentral, duplicate, usage, human };
}

async function accessToken(service: ServiceProcess, client: Record<string, unknown>): Promise<string> {
  const res = await fetch(service.url('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: String(client['client_id']), client_secret: String(client['client_secret']) }),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

const commandsServed = (service: ServiceProcess): number => service.stdout().split('\n').filter((l) => l.includes('CLI command over the control socket')).length;

t.test('while the service runs on a fresh DATA_DIR the CLI works, and gives the same shapes and exit codes as with the service stopped', async (t) => {
  const fake = await startFakeNcentral({ estate: acmeEstate() });
  t.teardown(() => fake.close());
  const dataDir = tempDir('pp-control-');
  const work = tempDir('pp-control-cwd-');
  writeFileSync(join(work, 'token'), `${fake.userApiToken}\n`);
  writeFileSync(join(work, 'ca.pem'), fake.caPem);
  // No ENCRYPTION_KEY: the key file in DATA_DIR seals the N-central token (i12-keys).
  const env = { DATA_DIR: dataDir, NCENTRAL_ALLOWED_HOSTS: LOOPBACK_HOSTS, LOG_LEVEL: 'info' };

  const service = await startService(env, { built: true });
  t.teardown(() => service.stop());
  const socket = statSync(join(dataDir, SOCKET));
  t.ok(socket.isSocket(), 'the control socket is in DATA_DIR');
  t.equal(socket.mode & 0o777, 0o600, 'the socket is mode 0600');
  t.equal(statSync(join(dataDir, TOKEN)).mode & 0o777, 0o600, 'the control token file is mode 0600');

  const running = await sequence(env, work, 'Contoso MSP', fake.url);
  t.equal(running.tenant.code, 0, running.tenant.stderr);
  t.match(running.tenant.json(), { id: String, name: 'Contoso MSP' });
  t.equal(running.client.code, 0, running.client.stderr);
  t.match(running.client.json(), { client_id: /^ppc_/, client_secret: /^ppcs_/, tenant_url: null, token_endpoint: null });
  t.equal(running.adminToken.code, 0, running.adminToken.stderr);
  t.match(running.adminToken.json(), { token: String, id: String, tenant_id: null, role: 'admin' });
  t.equal(running.ncentral.code, 0, running.ncentral.stderr);
  t.match(running.ncentral.json(), { url: fake.url });
  t.notOk(running.ncentral.stdout.includes(fake.userApiToken), 'the N-central token is not echoed');
  t.equal(running.duplicate.code, 1, 'a second tenant of that name fails');
  t.match(running.duplicate.json(), { error: String });
  t.equal(running.usage.code, 2, 'wrong usage is exit code 2');
  t.match(running.usage.stderr, /unknown action "rename"/);
  t.equal(running.human.code, 0);
  t.match(running.human.stdout, /active +Contoso MSP/);
  t.equal(commandsServed(service), 7, 'every command ran in the service, over the socket');

  const bearer = await accessToken(service, running.client.json());
  const users = await fetch(service.url('/scim/v2/Users'), { headers: { authorization: `Bearer ${bearer}` } });
  t.equal(users.status, 200, 'a token from the printed client opens /scim/v2/Users');
  const logs = await fetch(service.url('/admin/v1/provisioning-logs'), { headers: { authorization: `Bearer ${String(running.adminToken.json()['token'])}` } });
  t.equal(logs.status, 200, 'the printed admin token opens the admin API');

  const migrate = await cli(env, work, 'migrate', '--json');
  t.equal(migrate.code, 0);
  t.same(migrate.json(), { database: 'pglite', applied: [] });
  t.match(migrate.stderr, new RegExp(`running service \\(pid ${service.child.pid}\\) migrated the database`));
  t.equal((await fetch(service.url('/readyz'))).status, 200, 'no command closed the service database');

  t.equal(await service.stop(), 0, 'the service stops cleanly');
  t.notOk(existsSync(join(dataDir, SOCKET)), 'and removes its socket');

  const stopped = await sequence(env, work, 'Fabrikam MSP', fake.url);
  for (const step of ['tenant', 'client', 'adminToken', 'ncentral', 'duplicate'] as const) {
    t.equal(stopped[step].code, running[step].code, `${step}: same exit code with the service stopped`);
    t.same(shape(stopped[step].json()), shape(running[step].json()), `${step}: same --json shape with the service stopped`);
  }
  t.equal(stopped.usage.code, 2);
  t.equal(stopped.usage.stderr, running.usage.stderr, 'the same usage text');
  t.match(stopped.human.stdout, /Contoso MSP[\s\S]*Fabrikam MSP|Fabrikam MSP[\s\S]*Contoso MSP/);
});

t.test('logs tail through the service ends on Ctrl-C with exit 0, a client killed mid-command leaves the service serving, and a peer without the control token is refused', async (t) => {
  const dataDir = tempDir('pp-control-tail-');
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const service = await startService(env, { built: true });
  t.teardown(() => service.stop());

  const tail = spawn(process.execPath, [join(projectRoot, 'dist/src/cli/main.js'), 'logs', 'tail', '--interval', '50'], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  tail.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => tail.on('exit', resolve));
  while (!out.includes('operation')) await new Promise((r) => setTimeout(r, 50));
  tail.kill('SIGINT');
  t.equal(await exited, 0, 'Ctrl-C ends the tail as it does without the service');

  const killed = spawn(process.execPath, [join(projectRoot, 'dist/src/cli/main.js'), 'logs', 'tail', '--interval', '50'], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let killedOut = '';
  killed.stdout.on('data', (d: Buffer) => (killedOut += d.toString()));
  while (!killedOut.includes('operation')) await new Promise((r) => setTimeout(r, 50));
  killed.kill('SIGKILL');
  const after = await cli(env, dataDir, 'tenant', 'list', '--json');
  t.equal(after.code, 0, after.stderr);
  t.same(after.json(), { tenants: [] });
  t.equal((await fetch(service.url('/readyz'))).status, 200);

  // A peer that cannot present the control token (not the service's user) is refused before anything runs.
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(join(dataDir, SOCKET));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.write(`${JSON.stringify({ type: 'run', token: 'guessed', argv: ['admin-token', 'create', '--json'], cwd: '/', errIsTty: false })}\n`);
  });
  const messages = answer.trim().split('\n').map((l) => JSON.parse(l) as { type: string; line?: string; code?: number });
  t.match(messages, [{ type: 'err', line: /control token does not match/ }, { type: 'exit', code: 2 }]);
  t.notOk(answer.includes('"out"'), 'nothing ran');
});

t.test('after kill -9 the stale lock and socket are recognised: the CLI runs on its own, then a new service takes over', async (t) => {
  const dataDir = tempDir('pp-control-stale-');
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const first = await startService(env, { built: true });
  t.equal(await first.stop('SIGKILL'), null, 'killed');
  t.ok(existsSync(join(dataDir, LOCK)) && existsSync(join(dataDir, SOCKET)), 'the dead service left its lock and socket');

  const alone = await cli(env, dataDir, 'tenant', 'create', 'Northwind', '--json');
  t.equal(alone.code, 0, alone.stderr);
  t.match(alone.json(), { name: 'Northwind' });

  const second = await startService(env, { built: true });
  t.teardown(() => second.stop());
  t.equal(statSync(join(dataDir, SOCKET)).mode & 0o777, 0o600, 'a fresh socket, mode 0600');
  const served = await cli(env, dataDir, 'tenant', 'list', '--json');
  t.equal(served.code, 0, `${served.stderr}\n${printed(second)}`);
  t.match(served.json(), { tenants: [{ name: 'Northwind' }] });
  t.equal(commandsServed(second), 1, 'the new service ran it');
});

const pgUrl = testDatabaseUrl();

t.test('on PostgreSQL nothing changes: no socket, and the CLI uses the database itself beside the service', { skip: pgUrl ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const { url, schema } = await schemaBehindProxy(t, pgUrl ?? '', 'test_control');
  const dataDir = tempDir('pp-control-pg-');
  const env = { DATABASE_URL: url, DATABASE_SCHEMA: schema, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const service = await startService(env, { built: true });
  t.teardown(() => service.stop());
  t.notOk(existsSync(join(dataDir, SOCKET)), 'no control socket on PostgreSQL');
  const created = await cli(env, dataDir, 'tenant', 'create', 'Woodgrove', '--json');
  t.equal(created.code, 0, created.stderr);
  t.match(created.json(), { id: String, name: 'Woodgrove' });
  t.equal(commandsServed(service), 0, 'the CLI ran it itself');
});
