import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.js';

/**
 * Debian's PgBouncer as a real process for a test: its own ini and userlist in a temporary folder, a free loopback
 * port, no unix socket, logging to the test's memory. `.ci/setup-pgbouncer` installs it in CI.
 */
export const pgbouncerPath = ((): string | undefined => {
  try {
    // Debian puts it in /usr/sbin, which an unprivileged user's PATH often lacks.
    return execFileSync('sh', ['-c', 'command -v pgbouncer || { test -x /usr/sbin/pgbouncer && echo /usr/sbin/pgbouncer; }'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

/** [major, minor] of the installed PgBouncer, e.g. [1, 18]. */
export function pgbouncerVersion(path: string): [number, number] {
  const m = /PgBouncer (\d+)\.(\d+)/.exec(execFileSync(path, ['--version'], { encoding: 'utf8' }));
  return [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)];
}

export interface PoolerDatabase {
  /** The name clients connect to. */
  alias: string;
  /** Server connections PgBouncer opens for it: fewer than the clients' pool, so they really share them. */
  poolSize: number;
  /** Run on each new server connection (e.g. `SET search_path …`): session state a startup parameter cannot carry. */
  connectQuery?: string;
}

export interface Pgbouncer {
  port: number;
  /** A connection URL for one of the databases, as the given target user. */
  url: (alias: string) => string;
  output: () => string;
  stop: () => Promise<void>;
}

const quoted = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * Starts PgBouncer in transaction mode in front of `target` (a postgres:// URL whose user needs no password), one
 * pooled database per entry. Startup parameters PgBouncer 1.18 refuses but node-postgres sends (`options` with the
 * search_path, the timeouts) are ignored, as a deployment must: session state goes in `connectQuery`.
 */
export async function startPgbouncer(path: string, target: string, databases: PoolerDatabase[]): Promise<Pgbouncer> {
  const server = new URL(target);
  const user = decodeURIComponent(server.username || 'postgres');
  const dbname = decodeURIComponent(server.pathname.slice(1) || 'postgres');
  const dir = mkdtempSync(join(tmpdir(), 'pp-pgbouncer-'));
  const port = await freePort();
  const lines = databases.map((d) =>
    `${d.alias} = host=${server.hostname} port=${server.port || '5432'} dbname=${dbname} user=${user} pool_size=${d.poolSize}` +
      (d.connectQuery ? ` connect_query=${quoted(d.connectQuery)}` : ''),
  );
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      ...lines,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits, options, statement_timeout, idle_in_transaction_session_timeout',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; as root it is told to switch to nobody, who must read the folder.
  chmodSync(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  const child = spawn(path, [...(asRoot ? ['-u', 'nobody'] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!/listening on 127\.0\.0\.1/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`pgbouncer did not start: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: (alias) => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${alias}`,
    output: () => output,
    stop,
  };
}
