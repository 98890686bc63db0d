import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { withTimeout, type Database } from './database.js';
import type { DB } from './tables.js';

export class DataDirError extends Error {
  override name = 'DataDirError';
}

const LOCK_FILE = 'portal-provisioning.lock';
const VERSION_FILE = 'PGLITE_VERSION';

/** The PGlite package version, read from its package.json (the package does not export it). */
export function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  let dir = dirname(entry);
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the version of @electric-sql/pglite');
}

/** PGlite's on-disk format changes between minor versions before 1.0: 0.4.x data does not open in 0.5. */
const formatOf = (version: string): string => version.split('.').slice(0, 2).join('.');

/** Who holds a data folder: the service (which takes CLI commands over its control socket) or a CLI command. */
export type LockHolderRole = 'service' | 'cli';

/** The live process holding DATA_DIR's lock, or undefined when it is free or its holder died (a stale lock). */
export function liveLockHolder(dataDir: string): { pid: number; role: LockHolderRole } | undefined {
  let text: string;
  try {
    text = readFileSync(join(resolve(dataDir), LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const [pidLine, roleLine] = text.split('\n');
  const pid = Number.parseInt(pidLine ?? '', 10);
  if (!Number.isInteger(pid) || pid === process.pid || !isAlive(pid)) return undefined;
  return { pid, role: roleLine?.trim() === 'service' ? 'service' : 'cli' };
}

/**
 * Opens the embedded database. With a data folder it takes an exclusive lock first, because PGlite has no
 * cross-process locking and two processes on one folder lose committed writes. The lock names the holder's
 * pid and role, so a CLI finding the service there hands it the command instead (src/control/).
 */
export async function openEmbedded(dataDir: string | undefined, role: LockHolderRole = 'cli'): Promise<Database> {
  let releaseLock = (): void => undefined;
  let pglite: PGlite;
  if (dataDir) {
    const root = resolve(dataDir);
    mkdirSync(root, { recursive: true });
    releaseLock = acquireLock(root, role);
    try {
      checkVersion(root);
      pglite = await PGlite.create(join(root, 'pgdata'), { extensions: { pg_trgm } });
    } catch (err) {
      releaseLock();
      throw err;
    }
  } else {
    pglite = await PGlite.create({ extensions: { pg_trgm } });
  }
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    ping: (timeoutMs = 2000) => withTimeout(sql`select 1`.execute(db).then(() => undefined), timeoutMs),
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
      releaseLock();
    },
  };
}

function acquireLock(root: string, role: LockHolderRole): () => void {
  const path = join(root, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, `${process.pid}\n${role}\n`);
      closeSync(fd);
      return () => {
        try {
          if (Number.parseInt(readFileSync(path, 'utf8'), 10) === process.pid) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new DataDirError(
          `DATA_DIR ${root} is in use by another process (pid ${holder}). The embedded database allows one ` +
            'process per data folder; stop the other one, use another DATA_DIR, or set DATABASE_URL to share PostgreSQL.',
        );
      }
      // The holder died without cleaning up (crash, kill -9): the lock is stale.
      unlinkSync(path);
    }
  }
  throw new DataDirError(`could not lock DATA_DIR ${root}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function checkVersion(root: string): void {
  const path = join(root, VERSION_FILE);
  const current = pgliteVersion();
  if (existsSync(path)) {
    const recorded = readFileSync(path, 'utf8').trim();
    if (formatOf(recorded) !== formatOf(current)) {
      throw new DataDirError(
        `DATA_DIR ${root} was written by PGlite ${recorded}, but this build ships PGlite ${current}, which cannot ` +
          'read it. Dump it with the previous release (pg_dump against it) and restore into the new one, or ' +
          'point DATA_DIR at a new folder.',
      );
    }
    if (recorded === current) return;
  } else if (existsSync(join(root, 'pgdata'))) {
    throw new DataDirError(`DATA_DIR ${root} holds a database with no ${VERSION_FILE} record; refusing to guess.`);
  }
  writeFileSync(path, `${current}\n`);
}
