import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { Agent, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { adminQuery, testDatabaseUrl } from '../helpers/database.js';
import { printed, startService, type ServiceProcess } from '../helpers/process.js';
import { httpsRequest, issueCertificate, makeTestCa, servedCertificate, type IssuedCertificate } from '../helpers/tls.js';

const tempDir = (t: Test): string => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-https-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** The service's database: a schema of its own on PostgreSQL, else PGlite in a temporary DATA_DIR. */
async function databaseEnv(t: Test, dir: string): Promise<Record<string, string>> {
  const url = testDatabaseUrl();
  if (!url) return { DATA_DIR: join(dir, 'data') };
  const schema = `test_https_${randomBytes(4).toString('hex')}`;
  await adminQuery(url, `create schema ${schema}`);
  t.teardown(() => adminQuery(url, `drop schema if exists ${schema}, ${schema}_pgboss cascade`));
  return { DATABASE_URL: url, DATABASE_SCHEMA: schema };
}

const get = (port: number, path: string, options: RequestOptions) => httpsRequest({ host: '127.0.0.1', port, path, ...options });

async function until<T>(what: string, probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Replaces a served file as renewal tools do: write beside it, then rename over it. */
function replace(from: string, to: string): void {
  copyFileSync(from, `${to}.new`);
  renameSync(`${to}.new`, to);
}

async function startHttps(t: Test, dir: string, served: { certFile: string; keyFile: string }, ca: string): Promise<ServiceProcess> {
  const service = await startService(
    { ...(await databaseEnv(t, dir)), TLS_CERT_FILE: served.certFile, TLS_KEY_FILE: served.keyFile, LOG_LEVEL: 'info' },
    { waitReady: false },
  );
  t.teardown(() => service.stop());
  let exited: number | null | undefined;
  void service.exited.then((code) => (exited = code));
  await until(
    'https /readyz',
    () => get(service.port, '/readyz', { ca, agent: false }).then((a) => a.status, (err: Error) => (exited === undefined ? err.message : `exited: ${printed(service)}`)),
    (status) => status === 200 || (typeof status === 'string' && status.startsWith('exited')),
    60_000,
  ).then((status) => {
    if (status !== 200) throw new Error(String(status));
  });
  return service;
}

t.test('TLS_CERT_FILE/TLS_KEY_FILE: https from a private CA; a renewed pair is served without a restart and keep-alive connections stay', async (t) => {
  const dir = tempDir(t);
  const ca = makeTestCa(dir);
  const first = issueCertificate(ca, dir, 'first', { commonName: 'first.localhost', serialHex: '1111AAAA' });
  const second = issueCertificate(ca, dir, 'second', { commonName: 'second.localhost', serialHex: '2222BBBB' });
  const third = issueCertificate(ca, dir, 'third', { commonName: 'third.localhost', serialHex: '3333CCCC' });
  const tlsDir = join(dir, 'tls');
  mkdirSync(tlsDir);
  const served = { certFile: join(tlsDir, 'cert.pem'), keyFile: join(tlsDir, 'key.pem') };
  const install = (pair: IssuedCertificate) => {
    replace(pair.keyFile, served.keyFile);
    replace(pair.certFile, served.certFile);
  };
  install(first);

  const service = await startHttps(t, dir, served, ca.pem);
  t.match(service.stdout(), /"subject":"CN=first\.localhost".*"serving https"/, 'the log names the served certificate');
  t.match(service.stdout(), /"validTo":"20\d\d-/, 'and its expiry');
  t.same(await servedCertificate(service.port, ca.pem), { serialNumber: first.serialNumber, subject: 'first.localhost' });

  // Without PUBLIC_BASE_URL the URLs the service names follow the connection: https.
  const metadata = await get(service.port, '/.well-known/oauth-authorization-server', { ca: ca.pem, agent: false });
  t.equal(JSON.parse(metadata.body).issuer, `https://127.0.0.1:${service.port}`);
  // and the console's cookie is a Secure __Host- one.
  const signIn = await get(service.port, '/console/sign-in', { ca: ca.pem, agent: false });
  t.match(String(signIn.headers['set-cookie']), /^__Host-pp-console=[^;]+;.*Secure/);

  // An HTTP/1.1 keep-alive connection opened on the first certificate.
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.pem });
  t.teardown(() => keepAlive.destroy());
  const before = await get(service.port, '/healthz', { agent: keepAlive });
  t.equal(before.status, 200);
  t.equal(before.serialNumber, first.serialNumber);
  let closed = false;
  before.socket.on('close', () => (closed = true));

  install(second);
  const renewed = await until('the renewed certificate on new connections', () => servedCertificate(service.port, ca.pem), (c) => c.serialNumber === second.serialNumber);
  t.same(renewed, { serialNumber: second.serialNumber, subject: 'second.localhost' }, 'new connections see the new certificate, without a restart');
  t.match(service.stdout(), /"subject":"CN=second\.localhost".*"serving a renewed TLS certificate"/);

  const after = await get(service.port, '/healthz', { agent: keepAlive });
  t.equal(after.status, 200, 'the open keep-alive connection still answers');
  t.ok(after.reusedSocket, 'on the same connection');
  t.equal(after.socket, before.socket);
  t.equal(after.serialNumber, first.serialNumber, 'which keeps the certificate it was opened with');
  t.notOk(closed, 'and was not closed');

  // A bad renewal (the third certificate with the first's key) is refused: the second pair stays served.
  replace(first.keyFile, served.keyFile);
  replace(third.certFile, served.certFile);
  await until('the refusal in the log', () => service.stdout(), (out) => /CN=third\.localhost\).*renewed TLS certificate refused/.test(out));
  t.match(service.stdout(), /"variable":"TLS_KEY_FILE".*does not match the certificate in TLS_CERT_FILE \(CN=third\.localhost\).*refused; still serving the previous one/);
  t.same(await servedCertificate(service.port, ca.pem), { serialNumber: second.serialNumber, subject: 'second.localhost' }, 'the old certificate is kept');
  t.equal((await get(service.port, '/healthz', { ca: ca.pem, agent: false })).status, 200);

  // Fixed again (the third pair whole): served.
  install(third);
  await until('the third certificate', () => servedCertificate(service.port, ca.pem), (c) => c.serialNumber === third.serialNumber);
  t.pass('a good pair after a bad one is picked up');
  t.equal(await service.stop(), 0, 'exits 0 on SIGTERM');
});

t.test('a key that is not the certificate\'s stops the boot with one line naming TLS_KEY_FILE', async (t) => {
  const dir = tempDir(t);
  const ca = makeTestCa(dir);
  const one = issueCertificate(ca, dir, 'one', { commonName: 'one.localhost', serialHex: '0A01' });
  const other = issueCertificate(ca, dir, 'other', { commonName: 'other.localhost', serialHex: '0A02' });
  const service = await startService({ DATA_DIR: join(dir, 'data'), TLS_CERT_FILE: one.certFile, TLS_KEY_FILE: other.keyFile }, { waitReady: false });
  t.equal(await service.exited, 2);
  const lines = service.stderr().trim().split('\n');
  t.equal(lines.length, 1, printed(service));
  t.match(lines[0], /TLS_KEY_FILE: .*other\.key does not match the certificate in TLS_CERT_FILE \(CN=one\.localhost\)/);
});
