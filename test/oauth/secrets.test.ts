import t from 'tap';
import { generateSecret, hashSecret, secretMatches } from '../../src/oauth/secrets.js';

t.test('a generated secret carries its prefix and 256 random bits', async (t) => {
  const secret = generateSecret('ppcs');
  t.match(secret, /^ppcs_[A-Za-z0-9_-]{43}$/);
  t.equal(Buffer.from(secret.slice(5), 'base64url').length, 32);
  t.not(generateSecret('ppcs'), secret);
});

t.test('the stored hash does not contain the secret and verifies it', async (t) => {
  const secret = generateSecret('ppst');
  const stored = hashSecret(secret, 'secret-token');
  t.notMatch(stored, secret.slice(5));
  t.match(stored, /^sha256:[A-Za-z0-9_-]{43}$/);
  t.ok(secretMatches(secret, stored, 'secret-token'));
});

t.test('a different secret does not verify', async (t) => {
  const stored = hashSecret(generateSecret('ppst'), 'secret-token');
  t.notOk(secretMatches(generateSecret('ppst'), stored, 'secret-token'));
});

t.test('a hash made for one purpose does not verify as another', async (t) => {
  const secret = generateSecret('x');
  t.notOk(secretMatches(secret, hashSecret(secret, 'client-secret'), 'admin-token'));
});

t.test('a malformed stored value never verifies', async (t) => {
  t.notOk(secretMatches('anything', 'sha256:short', 'client-secret'));
  t.notOk(secretMatches('anything', '', 'client-secret'));
});
