import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian installs each major version under /usr/lib/postgresql/<major>; take the newest that has initdb. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
  if (!found) throw new Error(`no PostgreSQL server binaries under ${root} (install Debian's postgresql)`);
  return found;
}

const BIN = postgresBin();

/**
 * A throw-away PostgreSQL cluster of our own (initdb in a temp dir, another port, run as the `postgres` user),
 * so a chaos run can stop and start a database without touching the shared server on 5432.
 */
export interface PrivatePostgres {
  url: string;
  port: number;
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  destroy(): void;
}

function asPostgres(args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const cmd = asRoot ? 'runuser' : (args[0] as string);
  const argv = asRoot ? ['-u', 'postgres', '--', ...args] : args.slice(1);
  const res = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0) throw new Error(`${args.join(' ')} failed: ${res.stderr || res.stdout}`);
}

/** `settings`: extra server settings (`-c name=value`), e.g. shared_preload_libraries for pg_stat_statements. */
export function startPrivatePostgres(port: number, settings: Record<string, string> = {}): PrivatePostgres {
  const dir = mkdtempSync(join(tmpdir(), 'pp-chaos-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  asPostgres([`${BIN}/initdb`, '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const extra = Object.entries(settings)
    .map(([k, v]) => ` -c ${k}=${v}`)
    .join('');
  const ctl = (action: string[]) => asPostgres([`${BIN}/pg_ctl`, '-D', data, '-w', '-t', '60', ...action]);
  const start = () => ctl(['-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100${extra}`, '-l', join(dir, 'log'), 'start']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop: (mode = 'fast') => ctl(['-m', mode, 'stop']),
    destroy: () => {
      try {
        ctl(['-m', 'immediate', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
