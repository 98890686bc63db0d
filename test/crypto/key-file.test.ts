import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KeyFileError, loadOrCreateKeyFile } from '../../src/crypto/key-file.js';

interface TestLike {
  teardown(fn: () => unknown): void;
}

async function tempDir(t: TestLike): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pp-key-file-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('the key file is created once with a fresh 256-bit key, mode 0600, and read back unchanged', async (t) => {
  const dir = await tempDir(t);
  // A folder that does not exist yet, as DATA_DIR on a first start against PostgreSQL.
  const path = join(dir, 'data', 'encryption-key');
  const first = await loadOrCreateKeyFile(path);
  t.equal(first.created, true);
  t.equal(first.key.length, 32);
  t.equal((await stat(path)).mode & 0o777, 0o600);
  t.equal(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64').toString('hex'), first.key.toString('hex'));
  const again = await loadOrCreateKeyFile(path);
  t.equal(again.created, false);
  t.equal(again.key.toString('hex'), first.key.toString('hex'));
  t.equal(again.looseMode, undefined);
  const other = await loadOrCreateKeyFile(join(dir, 'elsewhere', 'encryption-key'));
  t.not(other.key.toString('hex'), first.key.toString('hex'), 'each data folder gets its own random key');
});

t.test('starts racing on a fresh folder agree on one key, and exactly one of them created it', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'encryption-key');
  const results = await Promise.all(Array.from({ length: 12 }, () => loadOrCreateKeyFile(path)));
  t.equal(results.filter((r) => r.created).length, 1);
  t.equal(new Set(results.map((r) => r.key.toString('hex'))).size, 1);
  t.same((await readdir(dir)).sort(), ['encryption-key'], 'no temporary file is left behind');
});

t.test('a key file readable by others is used but reported; a damaged one is refused naming ENCRYPTION_KEY', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'encryption-key');
  const { key } = await loadOrCreateKeyFile(path);
  await chmod(path, 0o644);
  const loose = await loadOrCreateKeyFile(path);
  t.equal(loose.key.toString('hex'), key.toString('hex'));
  t.equal(loose.looseMode, 0o644);
  await writeFile(path, 'not a key\n');
  await t.rejects(loadOrCreateKeyFile(path), new KeyFileError(`the key file ${path} does not hold a 32-byte key (base64 or 64 hex digits); restore it from backup or set ENCRYPTION_KEY`));
  // A key written by hand as 64 hex digits (the other form ENCRYPTION_KEY accepts) is read as such.
  await writeFile(path, `${'ab'.repeat(32)}\n`);
  t.equal((await loadOrCreateKeyFile(path)).key.toString('hex'), 'ab'.repeat(32));
});
