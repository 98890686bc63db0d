import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, configVariableNames, loadConfig } from '../src/config.js';

t.test('with no environment every variable takes its documented default', async (t) => {
  const config = loadConfig({});
  t.equal(config.port, 8080);
  t.equal(config.host, '0.0.0.0');
  t.equal(config.dataDir, './data');
  t.equal(config.databaseUrl, undefined);
  t.equal(config.logLevel, 'info');
});

t.test('PORT=abc is refused with one line naming PORT', async (t) => {
  let error: unknown;
  try {
    loadConfig({ PORT: 'abc' });
  } catch (err) {
    error = err;
  }
  t.ok(error instanceof ConfigError);
  t.equal((error as ConfigError).variable, 'PORT');
  t.notMatch((error as ConfigError).message, /\n/);
});

t.test('a port with trailing letters is refused, not truncated', async (t) => {
  t.throws(() => loadConfig({ PORT: '8080abc' }), /PORT/);
});

t.test('an out-of-range port is refused', async (t) => {
  t.throws(() => loadConfig({ PORT: '70000' }), /PORT: must be an integer from 1 to 65535/);
});

t.test('a DATABASE_URL that is not postgres is refused', async (t) => {
  t.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
});

t.test('an unknown LOG_LEVEL is refused', async (t) => {
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
});

t.test('PUBLIC_BASE_URL loses its trailing slash', async (t) => {
  t.equal(loadConfig({ PUBLIC_BASE_URL: 'https://p.example.com/' }).publicBaseUrl, 'https://p.example.com');
});

t.test('the README documents every configuration variable', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const name of configVariableNames()) t.match(readme, new RegExp(`\\| \`${name}\` \\|`), `${name} is in the README`);
});

t.test('NCENTRAL_ALLOWED_HOSTS: unset allows public addresses only; a bad entry is refused naming it', async (t) => {
  t.same(loadConfig({}).ncentralAllowedHosts, { names: new Set(), suffixes: [], ranges: [] });
  t.same([...loadConfig({ NCENTRAL_ALLOWED_HOSTS: 'nc.msp.example, 10.20.0.0/16' }).ncentralAllowedHosts.names], ['nc.msp.example']);
  t.throws(() => loadConfig({ NCENTRAL_ALLOWED_HOSTS: 'nc.msp.example, 10.0.0.0/33' }), /^NCENTRAL_ALLOWED_HOSTS: entry "10\.0\.0\.0\/33" is not a valid IP address or CIDR range$/);
  t.throws(() => loadConfig({ NCENTRAL_ALLOWED_HOSTS: '*.com' }), /NCENTRAL_ALLOWED_HOSTS: entry "\*\.com" must look like \*\.example\.com/);
});

t.test('TRUST_PROXY takes proxy addresses and CIDR ranges, trimmed, as a list', async (t) => {
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8, loopback' }).trustProxy, ['10.0.0.0/8', '127.0.0.1', 'fd00::/8', 'loopback']);
});

t.test('TRUST_PROXY unset or "false" trusts no proxy; "true" is the explicit opt-in to trust every hop', async (t) => {
  t.equal(loadConfig({}).trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
});

t.test('a TRUST_PROXY entry that is no address or range stops the boot with one line naming it', async (t) => {
  for (const bad of ['yes', '10.0.0.0/33', '10.0.0.1, proxy.internal', '::1/129', '10.0.0.0/', '10.0.0.0/8,,127.0.0.1']) {
    let error: unknown;
    try {
      loadConfig({ TRUST_PROXY: bad });
    } catch (err) {
      error = err;
    }
    t.ok(error instanceof ConfigError, bad);
    t.equal((error as ConfigError).variable, 'TRUST_PROXY');
    t.notMatch((error as ConfigError).message, /\n/);
  }
});

t.test("tenants' shares of the process default to 8 at once, 50 per second and bursts of 100", async (t) => {
  const config = loadConfig({});
  t.equal(config.tenantMaxConcurrentRequests, 8);
  t.equal(config.tenantRequestsPerSecond, 50);
  t.equal(config.tenantRequestBurst, 100);
  t.equal(config.tokenFailureLimitPerClientAddress, 60);
  t.throws(() => loadConfig({ TENANT_MAX_CONCURRENT_REQUESTS: '0' }), /TENANT_MAX_CONCURRENT_REQUESTS/);
});

t.test('ENCRYPTION_KEY_PREVIOUS takes a 32-byte key like ENCRYPTION_KEY; the key file defaults to DATA_DIR/encryption-key', async (t) => {
  const current = 'c'.repeat(64);
  const previous = Buffer.alloc(32, 7);
  const config = loadConfig({ ENCRYPTION_KEY: current, ENCRYPTION_KEY_PREVIOUS: previous.toString('base64') });
  t.ok(config.encryptionKeyPrevious?.equals(previous));
  t.equal(loadConfig({}).encryptionKeyPrevious, undefined);
  t.equal(loadConfig({}).encryptionKeyFile, join('./data', 'encryption-key'));
  t.equal(loadConfig({ DATA_DIR: '/srv/pp' }).encryptionKeyFile, '/srv/pp/encryption-key');
  t.equal(loadConfig({ DATA_DIR: '/srv/pp', ENCRYPTION_KEY_FILE: '/run/secrets/key' }).encryptionKeyFile, '/run/secrets/key');
  t.throws(() => loadConfig({ ENCRYPTION_KEY_PREVIOUS: 'abcd' }), /^ENCRYPTION_KEY_PREVIOUS: must be/);
  // Rotating to the same key would re-seal nothing and hide a copy-paste slip.
  t.throws(() => loadConfig({ ENCRYPTION_KEY: current, ENCRYPTION_KEY_PREVIOUS: current }), /ENCRYPTION_KEY_PREVIOUS: is the same key as ENCRYPTION_KEY/);
});

const tlsFixture = (name: string) => new URL(`./fixtures/tls/${name}`, import.meta.url).pathname;
const configErrorOf = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

t.test('TLS_CERT_FILE and TLS_KEY_FILE: a matching PEM pair turns https on; unset, plain http', async (t) => {
  t.equal(loadConfig({}).tls, undefined);
  const config = loadConfig({ TLS_CERT_FILE: tlsFixture('server.pem'), TLS_KEY_FILE: tlsFixture('server.key') });
  t.same(config.tls, { certFile: tlsFixture('server.pem'), keyFile: tlsFixture('server.key') });
});

t.test('TLS_CERT_FILE and TLS_KEY_FILE: one without the other is refused, naming the missing one', async (t) => {
  t.equal(configErrorOf({ TLS_CERT_FILE: tlsFixture('server.pem') }).variable, 'TLS_KEY_FILE');
  t.equal(configErrorOf({ TLS_KEY_FILE: tlsFixture('server.key') }).variable, 'TLS_CERT_FILE');
});

t.test('TLS files that would not serve stop the boot with a one-line reason', async (t) => {
  const unreadable = configErrorOf({ TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: tlsFixture('server.key') });
  t.equal(unreadable.variable, 'TLS_CERT_FILE');
  t.match(unreadable.message, /cannot read \/nonexistent\/cert\.pem \(ENOENT\)/);

  const notPem = configErrorOf({ TLS_CERT_FILE: tlsFixture('README.md'), TLS_KEY_FILE: tlsFixture('server.key') });
  t.equal(notPem.variable, 'TLS_CERT_FILE');
  t.match(notPem.message, /holds no PEM certificate/);

  const keyNotPem = configErrorOf({ TLS_CERT_FILE: tlsFixture('server.pem'), TLS_KEY_FILE: tlsFixture('server.pem') });
  t.equal(keyNotPem.variable, 'TLS_KEY_FILE');
  t.match(keyNotPem.message, /is not a PEM private key/);

  const mismatch = configErrorOf({ TLS_CERT_FILE: tlsFixture('server.pem'), TLS_KEY_FILE: tlsFixture('ca.key') });
  t.equal(mismatch.variable, 'TLS_KEY_FILE');
  t.match(mismatch.message, /ca\.key does not match the certificate in TLS_CERT_FILE \(CN=localhost/);
  t.notMatch(mismatch.message, /\n/);
});
