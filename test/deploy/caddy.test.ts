import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createClient } from '../../src/oauth/credential-service.js';
import { systemClock } from '../../src/clock.js';
import { connectDatabase } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { createTenant } from '../../src/tenants/service.js';
import { adminQuery, testDatabaseUrl } from '../helpers/database.js';
import { freePort, printed, projectRoot, startService } from '../helpers/process.js';
import { httpsRequest, type HttpsAnswer } from '../helpers/tls.js';
import { cliActor } from '../../src/audit/request-actor.js';

/**
 * The reverse-proxy recipe of the README: Debian's caddy with deploy/Caddyfile (`tls internal`, high ports, no
 * admin endpoint, its data in a temporary folder, nothing installed in a trust store) in front of the service with
 * PUBLIC_BASE_URL and TRUST_PROXY set. Entra's flow goes through it over https, trusting Caddy's own root.
 */
const caddyPath = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v caddy'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

t.test('Entra through caddy (deploy/Caddyfile): token, Test Connection and create over https; URLs and aud name the https address', {
  skip: caddyPath ? false : 'caddy is not installed: `.ci/setup-caddy` installs Debian\'s (apt-get install caddy)',
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-caddy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // The tenant and OAuth client Entra is given, made before the service holds the database.
  const pgUrl = testDatabaseUrl();
  const schema = pgUrl ? `test_caddy_${randomBytes(4).toString('hex')}` : undefined;
  if (pgUrl && schema) {
    await adminQuery(pgUrl, `create schema ${schema}`);
    t.teardown(() => adminQuery(pgUrl, `drop schema if exists ${schema}, ${schema}_pgboss cascade`));
  }
  const databaseEnv: Record<string, string> = pgUrl && schema ? { DATABASE_URL: pgUrl, DATABASE_SCHEMA: schema } : { DATA_DIR: join(dir, 'data') };
  const setup = await connectDatabase(pgUrl ? { databaseUrl: pgUrl, schema } : { dataDir: join(dir, 'data') });
  await migrateToLatest(setup.db);
  const tenant = await createTenant({ db: setup.db, clock: systemClock }, 'Contoso via Caddy', cliActor('test'));
  const { clientId, clientSecret } = await createClient({ db: setup.db, clock: systemClock }, tenant.id, cliActor('test'));
  await setup.close();

  const [httpsPort, httpPort] = [await freePort(), await freePort()];
  const publicBaseUrl = `https://localhost:${httpsPort}`;
  const service = await startService({ ...databaseEnv, PUBLIC_BASE_URL: publicBaseUrl, TRUST_PROXY: '127.0.0.1', LOG_LEVEL: 'info' });
  t.teardown(() => service.stop());

  const caddyHome = join(dir, 'caddy');
  mkdirSync(caddyHome);
  const caddy = spawn(caddyPath as string, ['run', '--config', join(projectRoot, 'deploy/Caddyfile'), '--adapter', 'caddyfile'], {
    cwd: caddyHome,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: caddyHome,
      XDG_DATA_HOME: join(caddyHome, 'data'),
      XDG_CONFIG_HOME: join(caddyHome, 'config'),
      SITE_ADDRESS: 'localhost',
      CADDY_TLS: 'internal',
      CADDY_HTTPS_PORT: String(httpsPort),
      CADDY_HTTP_PORT: String(httpPort),
      UPSTREAM: `127.0.0.1:${service.port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let caddyOutput = '';
  caddy.stdout.on('data', (d: Buffer) => (caddyOutput += d.toString()));
  caddy.stderr.on('data', (d: Buffer) => (caddyOutput += d.toString()));
  const caddyExited = new Promise<number | null>((resolve) => caddy.on('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (caddy.exitCode === null) caddy.kill('SIGTERM');
    await caddyExited;
  });

  // Caddy writes its local root when it starts; that is what a client of this recipe trusts.
  const rootFile = join(caddyHome, 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt');
  const through = (path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpsAnswer> =>
    httpsRequest({ host: '127.0.0.1', port: httpsPort, path, ca: existsSync(rootFile) ? readFileSync(rootFile) : undefined, agent: false, ...options, headers: { host: `localhost:${httpsPort}`, ...options.headers } });
  const deadline = Date.now() + 30_000;
  let ready: HttpsAnswer | string = 'not tried';
  while (Date.now() < deadline) {
    if (caddy.exitCode !== null) break;
    ready = await through('/readyz').catch((err: Error) => err.message);
    if (typeof ready !== 'string' && ready.status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (typeof ready === 'string' || ready.status !== 200) {
    t.fail(`caddy did not proxy /readyz: ${typeof ready === 'string' ? ready : ready.status}\ncaddy: ${caddyOutput.slice(-3000)}\nservice: ${printed(service)}`);
    return;
  }
  t.match(ready.issuer, /Caddy Local Authority/, 'the certificate is from caddy\'s internal CA, trusted through its root');

  // 1. Entra's token request (client_secret_basic).
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  const tokenAnswer = await through('/oauth2/token', {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  t.equal(tokenAnswer.status, 200, 'the token request passes through caddy', { body: tokenAnswer.status === 200 ? 'ok' : tokenAnswer.body });
  const accessToken = (JSON.parse(tokenAnswer.body) as { access_token: string }).access_token;
  const claims = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()) as { aud: string; iss: string; tenant_id: string };
  t.equal(claims.aud, `${publicBaseUrl}/scim/v2`, 'the token audience is the https Tenant URL');
  t.equal(claims.iss, publicBaseUrl, 'and the issuer the https base');
  t.equal(claims.tenant_id, tenant.id);
  const bearer = { authorization: `Bearer ${accessToken}` };

  // 2. Test Connection: a filter on the matching attribute with a random value, expecting an empty list.
  const probe = await through(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${randomUUID()}"`)}`, { headers: bearer });
  t.equal(probe.status, 200, 'Test Connection\'s query passes through caddy', { body: probe.body });
  t.match(JSON.parse(probe.body), { totalResults: 0, Resources: [] }, 'and finds nobody');

  // 3. Create a user: meta.location and Location name the https URL.
  const created = await through('/scim/v2/Users', {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/scim+json' },
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'adele.vance@contoso.example',
      active: true,
      name: { givenName: 'Adele', familyName: 'Vance' },
    }),
  });
  t.equal(created.status, 201, 'the create passes through caddy', { body: created.body });
  const user = JSON.parse(created.body) as { id: string; meta: { location: string } };
  t.equal(user.meta.location, `${publicBaseUrl}/scim/v2/Users/${user.id}`, 'meta.location names the https URL');
  t.equal(created.headers['location'], user.meta.location);


  // The README's last step: the log entry Test Connection made, read with the CLI (`npm run cli -- logs search …`).
  // The service is stopped first: on the embedded database it holds DATA_DIR, and stopping writes batched entries.
  t.equal(await service.stop(), 0);
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'logs', 'search', '--tenant', 'Contoso via Caddy', '--operation', 'Test connection', '--json'], {
    cwd: projectRoot,
    env: { PATH: process.env['PATH'] ?? '', ...databaseEnv, PUBLIC_BASE_URL: publicBaseUrl },
    encoding: 'utf8',
  });
  t.equal(cli.status, 0, 'logs search exits 0', { stderr: cli.stderr });
  const { entries } = JSON.parse(cli.stdout) as { entries: { operation: string; outcome: string; tenantId: string }[] };
  t.equal(entries.length, 1, 'one Test connection entry');
  t.match(entries[0], { operation: 'Test connection', outcome: 'success', tenantId: tenant.id });
});
