import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { projectRoot } from '../helpers/process.js';

const run = promisify(execFile);

/** A schema of its own on a PostgreSQL, for one chaos or fuzz run; dropped by `drop()`. */
export interface ChaosDatabase {
  url: string;
  schema: string;
  env: Record<string, string>;
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function chaosDatabase(url: string, prefix: string): Promise<ChaosDatabase> {
  const schema = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = async <T extends pg.QueryResultRow>(text: string, values?: unknown[], search?: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url, ...(search ? { options: `-c search_path=${search}` } : {}) });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  await admin(`create schema ${schema}`);
  return {
    url,
    schema,
    // The chaos phases flood one tenant on purpose: its share of the process must not be what they measure.
    env: { DATABASE_URL: url, DATABASE_SCHEMA: schema, TENANT_MAX_CONCURRENT_REQUESTS: '100000', TENANT_REQUESTS_PER_SECOND: '1000000', TENANT_REQUEST_BURST: '1000000' },
    query: (text, values) => admin(text, values, schema),
    drop: async () => {
      // The service's pg-boss scheduler keeps its jobs in a schema of its own beside ours.
      await admin(`drop schema if exists ${schema}_pgboss cascade`);
      await admin(`drop schema if exists ${schema} cascade`);
    },
  };
}

/** Runs the CLI (`portal-provisioning …`) with `--json` and returns its one JSON object. */
export async function cli(env: Record<string, string>, args: string[], attempts = 3): Promise<Record<string, unknown>> {
  try {
    return await cliOnce(env, args);
  } catch (err) {
    // The shared server: Kysely's migrator introspects every schema, and another helper's test may drop its
    // schema at that moment ("schema … does not exist"). Retrying is enough.
    if (attempts <= 1 || !/does not exist|cache lookup failed|migration .* failed/.test((err as Error).message)) throw err;
    return cli(env, args, attempts - 1);
  }
}

async function cliOnce(env: Record<string, string>, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--json'], {
    cwd: projectRoot,
    env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'warn', ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

/** A tenant with a SCIM secret token and a tenant-scoped admin token, made through the CLI as an operator would. */
export async function provisionTenant(env: Record<string, string>, name: string): Promise<{ tenantId: string; scimToken: string; adminToken: string }> {
  const tenant = await cli(env, ['tenant', 'create', name]);
  const tenantId = String(tenant['id']);
  const token = await cli(env, ['token', 'create', '--tenant', tenantId]);
  const admin = await cli(env, ['admin-token', 'create', '--tenant', tenantId]);
  return { tenantId, scimToken: String(token['token']), adminToken: String(admin['token']) };
}

/** Resident set size now and its peak (VmHWM) of a process, in MB, from /proc. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 102.4) / 10, peakMb: Math.round(kb('VmHWM') / 102.4) / 10 };
}

/** A Prometheus gauge's value from a /metrics text. */
export function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}
