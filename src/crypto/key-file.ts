import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The generated encryption key kept beside the data (issue 12): with ENCRYPTION_KEY unset the service and the
 * CLI read it from `<DATA_DIR>/encryption-key`, and the first of them to start creates it. The file holds the
 * key as base64 (the form ENCRYPTION_KEY accepts, so it can be copied into the environment of other replicas).
 */
export const KEY_FILE_NAME = 'encryption-key';

export const defaultKeyFilePath = (dataDir: string): string => join(dataDir, KEY_FILE_NAME);

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

export interface KeyFile {
  key: Buffer;
  path: string;
  /** True when this call generated the key (the caller logs where it is, once). */
  created: boolean;
  /** Set when the file can be read by others than its owner (mode wider than 0600). */
  looseMode?: number;
}

/**
 * Reads the key file, or creates it with a fresh 256-bit key. Creation is atomic and exclusive: the key is
 * written and synced under a temporary name opened with O_EXCL (mode 0600), then linked to the final name,
 * which fails if the name exists. So two processes starting at once cannot both create one, and a reader never
 * sees a half-written file; the loser reads the winner's key.
 */
export async function loadOrCreateKeyFile(path: string): Promise<KeyFile> {
  const existing = await readKeyFile(path);
  if (existing) return existing;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${randomBytes(32).toString('base64')}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  // open()'s mode passes through the umask; the key is for the owner alone whatever the umask.
  await chmod(temporary, 0o600);
  try {
    await link(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = await readKeyFile(path);
    if (!theirs) throw new KeyFileError(`the key file ${path} vanished while being created`);
    return theirs;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  const mine = await readKeyFile(path);
  if (!mine) throw new KeyFileError(`the key file ${path} vanished after it was created`);
  return { ...mine, created: true };
}

async function readKeyFile(path: string): Promise<KeyFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyFileError(`cannot read the key file ${path}: ${(err as Error).message}`);
  }
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32 || !/^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$/.test(trimmed)) {
    throw new KeyFileError(`the key file ${path} does not hold a 32-byte key (base64 or 64 hex digits); restore it from backup or set ENCRYPTION_KEY`);
  }
  const mode = (await stat(path)).mode & 0o777;
  return { key, path, created: false, ...((mode & 0o077) !== 0 ? { looseMode: mode } : {}) };
}
