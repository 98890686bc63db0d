import { randomBytes } from 'node:crypto';
import t from 'tap';
import { openSecret, sealSecret, SealedSecretError } from '../../src/crypto/sealed-secret.js';
import { loadConfig } from '../../src/config.js';

const key = randomBytes(32);

t.test('a sealed secret opens with the same key and context', async (t) => {
  const sealed = sealSecret(key, 'the-user-api-token', 'tenant-1/ncentral');
  t.notMatch(sealed, /the-user-api-token/);
  t.equal(openSecret(key, sealed, 'tenant-1/ncentral'), 'the-user-api-token');
});

t.test('a sealed secret does not open under another context', async (t) => {
  const sealed = sealSecret(key, 'x', 'tenant-1/ncentral');
  t.throws(() => openSecret(key, sealed, 'tenant-2/ncentral'), SealedSecretError);
});

t.test('a sealed secret does not open under another key', async (t) => {
  const sealed = sealSecret(key, 'x', 'c');
  t.throws(() => openSecret(randomBytes(32), sealed, 'c'), SealedSecretError);
});

t.test('ENCRYPTION_KEY accepts hex and base64 and refuses the wrong length', async (t) => {
  t.equal(loadConfig({ ENCRYPTION_KEY: key.toString('hex') }).encryptionKey?.equals(key), true);
  t.equal(loadConfig({ ENCRYPTION_KEY: key.toString('base64') }).encryptionKey?.equals(key), true);
  t.throws(() => loadConfig({ ENCRYPTION_KEY: 'abcd' }), /ENCRYPTION_KEY/);
});
