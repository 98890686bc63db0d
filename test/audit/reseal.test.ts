import { randomBytes } from 'node:crypto';
import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import { keyFingerprint } from '../../src/crypto/key-fingerprint.js';
import { establishSealingKey } from '../../src/crypto/sealing-key-service.js';
import { createLogger } from '../../src/log.js';
import { SigningKeyRing } from '../../src/oauth/key-service.js';
import { testConfig } from '../helpers/app.js';
import { chainOf } from '../helpers/audit.js';
import { testClock } from '../helpers/clock.js';
import { sharedTestDatabase } from '../helpers/database.js';

const clock = testClock();
const log = createLogger('silent');

t.test('a start with ENCRYPTION_KEY_PREVIOUS re-seals and records it (counts only, no key or fingerprint); a plain start records nothing', async (t) => {
  const { db } = (await sharedTestDatabase()).database;
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  // What createDeps does at each start of the server or the CLI.
  const start = (key: Buffer, previous?: Buffer) =>
    establishSealingKey({ db, clock, log, config: { encryptionKey: key, encryptionKeyPrevious: previous, encryptionKeyFile: '/nonexistent/encryption-key' } });
  await start(oldKey);
  await new SigningKeyRing({ db, clock, log, config: { ...testConfig(), encryptionKey: oldKey } }).signingKey();
  t.same((await chainOf(db, SERVICE_WIDE)).filter((e) => e.action === 'encryption_key.reseal'), [], 'the first start re-seals nothing');

  await start(newKey, oldKey);
  const entries = (await chainOf(db, SERVICE_WIDE)).filter((e) => e.action === 'encryption_key.reseal');
  t.match(entries, [{ outcome: 'success', actor: { type: 'system', id: 'startup' }, target: { type: 'encryption_key' }, detail: { resealed: 1 } }]);
  const text = JSON.stringify(entries);
  for (const secret of [oldKey.toString('hex'), newKey.toString('hex'), oldKey.toString('base64'), newKey.toString('base64'), keyFingerprint(oldKey), keyFingerprint(newKey)]) {
    t.notOk(text.includes(secret), 'no key material in the entry');
  }
  await start(newKey, oldKey);
  t.equal((await chainOf(db, SERVICE_WIDE)).filter((e) => e.action === 'encryption_key.reseal').length, 1, 'a start that re-seals nothing records nothing');
});
