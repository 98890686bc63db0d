/**
 * Side-by-side SCIM benchmark (issue 14): `npm run bench -- --against <git-rev>` builds that revision beside the
 * working tree and loads each side alone in turn, alternating, on identical data, printing per workload req/s and
 * CPU per request (app + its own PostgreSQL backends) of both and the new/old ratios.
 *
 * One schema per side, seeded identically: the service migrates its schema at boot and Kysely refuses a schema
 * holding migrations it does not know, so a schema shared by old and new code cannot be served by the old side once
 * the new side has added one; and indexes a new migration adds would speed the old code too and hide the gain.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { formatTopFrames } from './cpu-profile-top.js';
import { postgresCpuMs, postgresCpuSince, processCpuMs, processesCpuMs } from './process-cpu.js';
import { checkoutRevision, type RevisionTree } from './revision-tree.js';
import { benchUserId, CORE, seedUsers } from './seed-users.js';
import { createStatementSampler, type StatementSampler } from './statement-sampler.js';

export interface SideBySideOptions {
  against: string;
  users: number;
  duration: number;
  connections: number;
  rounds: number;
  pool: string;
  url: string;
  only: string[] | undefined;
  keep: boolean;
  cpuProf: boolean;
  statements: boolean;
}

type SideName = 'old' | 'new';
interface Side {
  name: SideName;
  dir: string;
  label: string;
  schema: string;
  /** application_name of the service's connections, so its own backends are told from everyone else's. */
  appName: string;
  server?: { child: ChildProcess; port: number };
  cursor: boolean;
  profDir?: string;
  sampler?: StatementSampler;
}

interface Request { method: 'GET' | 'POST' | 'PATCH'; path: string; body?: string }
interface Workload {
  name: string;
  /** Only when every side that runs it advertises RFC 9865 cursors; sides without it are left out. */
  needsCursor?: boolean;
  /** Before each round (cursor walks): returns the request factory for that side. */
  prepare?: (side: Side) => Promise<() => Request>;
  request?: (side: Side) => Request;
}

interface Totals { requests: number; seconds: number; appMs: number; pgMs: number; allPgMs: number; non2xx: number; errors: number }
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const WARM_UP_SECONDS = 2;
const CURSOR_DEPTH = 50;
const PAGE = 100;
const out = (line: string): void => void process.stdout.write(`${line}\n`);

export async function runSideBySide(o: SideBySideOptions): Promise<void> {
  const runId = randomBytes(3).toString('hex');
  const tenantId = randomUUID();
  const tree: RevisionTree = checkoutRevision(process.cwd(), o.against, out);
  const sides: Side[] = [
    { name: 'old', dir: tree.dir, label: `${o.against} (${tree.commit.slice(0, 12)})`, schema: `bench_sbs_${runId}_old`, appName: `bench-${runId}-old`, cursor: false },
    { name: 'new', dir: process.cwd(), label: 'working tree', schema: `bench_sbs_${runId}_new`, appName: `bench-${runId}-new`, cursor: false },
  ];
  const control = new pg.Client({ connectionString: o.url, application_name: `bench-${runId}-control` });
  await control.connect();
  const pick = (): number => 1 + Math.floor(Math.random() * o.users);
  let seq = 0;
  try {
    for (const side of sides) {
      await control.query(`create schema ${side.schema}`);
      // The side's own service migrates its schema at boot; then the same rows go into both.
      await stopServer((await startServer(o, side, tenantId, false)).child);
      const started = Date.now();
      const seeder = new pg.Client({ connectionString: o.url, options: `-c search_path=${side.schema},public` });
      await seeder.connect();
      try {
        await seedUsers(seeder, tenantId, o.users);
      } finally {
        await seeder.end();
      }
      out(`${side.name}: ${side.label}, schema ${side.schema}: seeded ${o.users} users in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    for (const side of sides) {
      if (o.cpuProf) side.profDir = mkdtempSync(join(tmpdir(), `bench-prof-${side.name}-`));
      side.server = await startServer(o, side, tenantId, o.cpuProf, side.profDir);
      side.cursor = await advertisesCursor(side.server.port);
      if (o.statements) side.sampler = createStatementSampler(control, side.appName);
      out(`${side.name}: RFC 9865 cursor paging ${side.cursor ? 'advertised' : 'not advertised'}`);
    }

    const walkTo = async (side: Side, pages: number): Promise<string> => {
      let cursor = '';
      for (let page = 1; page < pages; page++) {
        const body = await getJson(portOf(side), `/scim/v2/Users?cursor=${encodeURIComponent(cursor)}&count=${PAGE}`);
        if (typeof body['nextCursor'] !== 'string') break;
        cursor = body['nextCursor'];
      }
      return cursor;
    };
    const workloads: Workload[] = [
      { name: 'GET by id', request: () => ({ method: 'GET', path: `/scim/v2/Users/${benchUserId(pick())}` }) },
      { name: 'filter userName eq', request: () => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${pick()}@bench.test"`)}` }) },
      { name: `startIndex=5001&count=${PAGE}`, request: () => ({ method: 'GET', path: `/scim/v2/Users?startIndex=5001&count=${PAGE}` }) },
      { name: 'cursor first page', needsCursor: true, request: () => ({ method: 'GET', path: `/scim/v2/Users?cursor=&count=${PAGE}` }) },
      {
        name: `cursor page ${CURSOR_DEPTH}`,
        needsCursor: true,
        prepare: async (side) => {
          const path = `/scim/v2/Users?cursor=${encodeURIComponent(await walkTo(side, CURSOR_DEPTH))}&count=${PAGE}`;
          return () => ({ method: 'GET', path });
        },
      },
      {
        // Entra's shape for a one-attribute change; a new value every request, so each one really writes.
        name: 'PATCH name.givenName',
        request: (side) => ({
          method: 'PATCH',
          path: `/scim/v2/Users/${benchUserId(pick())}`,
          body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'name.givenName', value: `G-${side.name}-${runId}-${++seq}` }] }),
        }),
      },
      {
        // Last, as it grows the table; fresh userNames on each side.
        name: 'create',
        request: (side) => {
          const n = `new-${runId}-${side.name}-${++seq}`;
          return {
            method: 'POST',
            path: '/scim/v2/Users',
            body: JSON.stringify({
              schemas: [CORE], externalId: n, userName: `${n}@bench.test`, active: true, displayName: `New ${n}`,
              name: { givenName: 'New', familyName: n }, emails: [{ type: 'work', primary: true, value: `${n}@bench.test` }],
            }),
          };
        },
      },
    ];
    /** Warm-up, then the rounds, each side alone in turn; answers the summary table's row. */
    const runWorkload = async (w: Workload, runs: Side[]): Promise<string[]> => {
      const totals = new Map<SideName, Totals>(runs.map((s) => [s.name, { requests: 0, seconds: 0, appMs: 0, pgMs: 0, allPgMs: 0, non2xx: 0, errors: 0 }]));
      const rps = new Map<SideName, number[]>(runs.map((s) => [s.name, []]));
      const cpu = new Map<SideName, number[]>(runs.map((s) => [s.name, []]));
      const requestFor = async (side: Side): Promise<() => Request> => {
        if (w.prepare) return w.prepare(side);
        const make = w.request;
        if (!make) throw new Error(`workload ${w.name} has no request`);
        return () => make(side);
      };
      for (let round = 0; round < o.rounds; round++) {
        // Each round flips the order (old new, new old, …), so drift over the run falls on both sides alike.
        const order = round % 2 === 0 ? runs : [...runs].reverse();
        for (const side of order) {
          const request = await requestFor(side);
          const t = totals.get(side.name);
          if (!t) continue;
          // A warm-up before every measured run, not once: a side idle while the other ran may have let its pool's
          // connections go (pg closes them after 10 s idle), and reopening them is not what is measured.
          await load(portOf(side), request, WARM_UP_SECONDS, o.connections);
          const m = await measured(control, side, () => load(portOf(side), request, o.duration, o.connections));
          t.requests += m.requests;
          t.seconds += o.duration;
          t.appMs += m.appMs;
          t.pgMs += m.pgMs;
          t.allPgMs += m.allPgMs;
          t.non2xx += m.non2xx;
          t.errors += m.errors;
          rps.get(side.name)?.push(m.requests / o.duration);
          cpu.get(side.name)?.push(m.requests > 0 ? ((m.appMs + m.pgMs) * 1000) / m.requests : Number.NaN);
        }
      }
      return report(w.name, runs, totals, rps, cpu);
    };
    const selected = workloads.filter((w) => !o.only || o.only.some((x) => w.name.toLowerCase().startsWith(x.toLowerCase())));
    const summary: string[] = [];
    for (const w of selected) {
      const runs = sides.filter((s) => !w.needsCursor || s.cursor);
      if (runs.length === 0) {
        out(`${w.name}: skipped, no side advertises cursor paging`);
        continue;
      }
      try {
        summary.push(...(await runWorkload(w, runs)));
      } catch (err) {
        // One workload a side cannot serve (a cursor walk refused, say) must not cost the others' figures.
        out(`${w.name}: FAILED, left out: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    out(`\n${o.users} users, ${o.connections} connections, pool ${o.pool}, ${o.rounds} rounds of ${o.duration} s per side, each after a ${WARM_UP_SECONDS} s warm-up; old = ${sides[0]?.label}, new = ${sides[1]?.label}`);
    out('CPU per request = service process + its own PostgreSQL backends (by application_name), from /proc; all-PG = every postgres process on the machine (other sessions included).');
    out('| workload | old req/s | new req/s | new/old req/s (median of rounds) | old CPU µs/req (app + PG) | new CPU µs/req (app + PG) | new/old CPU (median of rounds) | old/new all-PG µs/req |');
    out('|---|---|---|---|---|---|---|---|');
    for (const line of summary) out(line);
    for (const side of sides) {
      if (side.sampler) {
        out(`\n${side.name}: statements by time active (average number of its backends in each, sampled from pg_stat_activity)`);
        out(side.sampler.format(15));
      }
    }
  } finally {
    for (const side of sides) {
      side.sampler?.stop();
      if (side.server) await stopServer(side.server.child);
    }
    for (const side of sides) {
      if (side.profDir) {
        // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the service; the others are tsx's loader.
        for (const file of readdirSync(side.profDir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))) {
          out(`\n${side.name} service profile (${side.label}):`);
          process.stdout.write(formatTopFrames(join(side.profDir, file), 15, side.dir));
        }
        if (!o.keep) rmSync(side.profDir, { recursive: true, force: true });
      }
      if (!o.keep) await control.query(`drop schema if exists ${side.schema} cascade`);
    }
    await control.end();
    if (o.keep) out(`kept: schemas ${sides.map((s) => s.schema).join(', ')}, tree ${tree.dir}${o.cpuProf ? `, profiles ${sides.map((s) => s.profDir).join(', ')}` : ''}`);
    else tree.remove();
  }
}

function portOf(side: Side): number {
  if (!side.server) throw new Error(`${side.name} service is not running`);
  return side.server.port;
}

/** A row of the summary table; ratios are over all rounds, with the median of the per-round ratios beside them. */
function report(name: string, runs: Side[], totals: Map<SideName, Totals>, rps: Map<SideName, number[]>, cpu: Map<SideName, number[]>): string[] {
  const per = (n: SideName) => {
    const t = totals.get(n);
    if (!t || t.requests === 0) return undefined;
    return { rps: t.requests / t.seconds, app: (t.appMs * 1000) / t.requests, pg: (t.pgMs * 1000) / t.requests, allPg: (t.allPgMs * 1000) / t.requests, t };
  };
  const old = per('old');
  const neu = per('new');
  const lines: string[] = [];
  for (const side of runs) {
    const p = per(side.name);
    const t = totals.get(side.name);
    const perRound = (rps.get(side.name) ?? []).map((r) => r.toFixed(0)).join(', ');
    const cpuRounds = (cpu.get(side.name) ?? []).map((r) => r.toFixed(0)).join(', ');
    out(`${name} ${side.name}: rounds ${perRound} req/s, ${cpuRounds} µs CPU/req; ${p ? `CPU app ${p.app.toFixed(0)} µs + PG ${p.pg.toFixed(0)} µs per request` : 'no requests'}` +
      `${t && (t.non2xx || t.errors) ? `; NON-2XX ${t.non2xx} ERRORS ${t.errors}: figures not comparable` : ''}`);
  }
  const cell = (p: ReturnType<typeof per>, f: (x: NonNullable<ReturnType<typeof per>>) => string) => (p ? f(p) : '–');
  let rpsRatio = '–';
  let cpuRatio = '–';
  if (old && neu) {
    const perRound = (m: Map<SideName, number[]>) => {
      const o = m.get('old') ?? [];
      return (m.get('new') ?? []).map((r, i) => r / (o[i] ?? Number.NaN));
    };
    const ratios = perRound(rps);
    const cpuRatios = perRound(cpu);
    rpsRatio = `${(neu.rps / old.rps).toFixed(2)} (${median(ratios).toFixed(2)})`;
    cpuRatio = `${((neu.app + neu.pg) / (old.app + old.pg)).toFixed(2)} (${median(cpuRatios).toFixed(2)})`;
    out(`${name}: new/old per round: req/s ${ratios.map((r) => r.toFixed(2)).join(', ')}; CPU/req ${cpuRatios.map((r) => r.toFixed(2)).join(', ')}`);
  }
  lines.push(
    `| ${name} | ${cell(old, (p) => p.rps.toFixed(0))} | ${cell(neu, (p) => p.rps.toFixed(0))} | ${rpsRatio} | ` +
      `${cell(old, (p) => `${(p.app + p.pg).toFixed(0)} (${p.app.toFixed(0)} + ${p.pg.toFixed(0)})`)} | ` +
      `${cell(neu, (p) => `${(p.app + p.pg).toFixed(0)} (${p.app.toFixed(0)} + ${p.pg.toFixed(0)})`)} | ${cpuRatio} | ` +
      `${cell(old, (p) => p.allPg.toFixed(0))} / ${cell(neu, (p) => p.allPg.toFixed(0))} |`,
  );
  return lines;
}

const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? Number.NaN;

async function backendPids(control: pg.Client, appName: string): Promise<number[]> {
  const r = await control.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [appName]);
  return r.rows.map((row) => row.pid);
}

/** One load run with the CPU it cost the service, its backends (those alive at the end) and all of PostgreSQL. */
async function measured(
  control: pg.Client,
  side: Side,
  run: () => Promise<autocannon.Result>,
): Promise<{ requests: number; appMs: number; pgMs: number; allPgMs: number; non2xx: number; errors: number }> {
  const pid = side.server?.child.pid ?? 0;
  const backends0 = processesCpuMs(await backendPids(control, side.appName));
  const app0 = processCpuMs(pid);
  const all0 = postgresCpuMs();
  side.sampler?.start();
  const result = await run();
  side.sampler?.stop();
  const app1 = processCpuMs(pid);
  const allPgMs = all0 ? postgresCpuSince(all0) : 0;
  // A backend opened during the run counts from zero, which is all its CPU; one closed during it is lost.
  let pgMs = 0;
  for (const [backend, ms] of processesCpuMs(await backendPids(control, side.appName))) pgMs += ms - (backends0.get(backend) ?? 0);
  if (app0 === undefined || app1 === undefined) throw new Error(`cannot read /proc/${pid}/stat: CPU figures need Linux`);
  return { requests: result.requests.total, appMs: app1 - app0, pgMs, allPgMs, non2xx: result.non2xx, errors: result.errors };
}

async function load(port: number, request: () => Request, seconds: number, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [{ setupRequest: (req) => ({ ...req, ...request(), headers: { 'content-type': 'application/scim+json' } }) }],
  });
}

async function getJson(port: number, path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** RFC 9865 §3: ServiceProviderConfig's `pagination.cursor` is true when the service pages by cursor. */
async function advertisesCursor(port: number): Promise<boolean> {
  const config = await getJson(port, '/scim/v2/ServiceProviderConfig');
  const pagination = config['pagination'];
  return typeof pagination === 'object' && pagination !== null && (pagination as Record<string, unknown>)['cursor'] === true;
}

async function startServer(o: SideBySideOptions, side: Side, tenantId: string, cpuProf: boolean, profDir?: string): Promise<{ child: ChildProcess; port: number }> {
  const url = new URL(o.url);
  url.searchParams.set('application_name', side.appName);
  const flags = cpuProf && profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  // Both sides alike: same pool, log level, provisioning log on, limits lifted so they are not what is measured.
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'bench/scim-server.ts'], {
    cwd: side.dir,
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      DATABASE_SCHEMA: side.schema,
      DATABASE_POOL_MAX: o.pool,
      LOG_LEVEL: 'warn',
      PROVISIONING_LOG_ENABLED: 'true',
      PUBLIC_BASE_URL: 'http://127.0.0.1',
      BENCH_TENANT_ID: tenantId,
      BENCH_AUTH: 'none',
      TOKEN_FAILURE_LIMIT_PER_CLIENT_ADDRESS: '1000000',
      TOKEN_RATE_LIMIT_PER_ADDRESS: '1000000',
      TENANT_MAX_CONCURRENT_REQUESTS: '100000',
      TENANT_REQUESTS_PER_SECOND: '1000000',
      TENANT_REQUEST_BURST: '1000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffer = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const m = /listening (\d+)/.exec(buffer);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${side.name} server exited with ${code}`)));
  });
  return { child, port };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
