import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DataDirError, liveLockHolder, openEmbedded, pgliteVersion } from '../../src/store/embedded.js';

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-embedded-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('opening a data folder records the PGlite version in it', async (t) => {
  const dir = tempDir();
  const db = await openEmbedded(dir);
  await db.close();
  t.equal(readFileSync(join(dir, 'PGLITE_VERSION'), 'utf8').trim(), pgliteVersion());
});

t.test('a folder written by an incompatible PGlite version is refused, naming both versions', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'pgdata'));
  writeFileSync(join(dir, 'PGLITE_VERSION'), '0.2.17\n');
  await t.rejects(openEmbedded(dir), { name: 'DataDirError', message: /0\.2\.17.*cannot read it/ });
});

t.test('a database folder with no version record is refused', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'pgdata'));
  await t.rejects(openEmbedded(dir), DataDirError);
});

t.test('a lock left by a process that no longer exists is taken over', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'portal-provisioning.lock'), '999999999\n');
  const db = await openEmbedded(dir);
  t.equal(readFileSync(join(dir, 'portal-provisioning.lock'), 'utf8'), `${process.pid}\ncli\n`, 'the lock names its pid and role');
  await db.close();
});

t.test('liveLockHolder names a live holder and its role, and ignores a dead one', async (t) => {
  const dir = tempDir();
  t.equal(liveLockHolder(dir), undefined, 'no lock');
  writeFileSync(join(dir, 'portal-provisioning.lock'), '999999999\nservice\n');
  t.equal(liveLockHolder(dir), undefined, 'a dead pid is a stale lock');
  writeFileSync(join(dir, 'portal-provisioning.lock'), `${process.ppid}\nservice\n`);
  t.same(liveLockHolder(dir), { pid: process.ppid, role: 'service' });
  writeFileSync(join(dir, 'portal-provisioning.lock'), `${process.ppid}\n`);
  t.same(liveLockHolder(dir), { pid: process.ppid, role: 'cli' }, 'a lock from before roles is a CLI');
});

t.test('a lock held by a live process refuses the open', async (t) => {
  const dir = tempDir();
  // The parent of this test process is alive for as long as the test runs.
  writeFileSync(join(dir, 'portal-provisioning.lock'), `${process.ppid}\n`);
  await t.rejects(openEmbedded(dir), { name: 'DataDirError', message: /in use by another process/ });
});
