import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A free TCP port on loopback, for a server a test starts as a process. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address !== 'string' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  url(path: string): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `src/main.ts` as its own process (through tsx) with exactly the environment given; with `built`, the
 * compiled `dist/src/main.js` that `npm start` runs (build it first: see buildDist).
 */
export async function startService(
  env: Record<string, string>,
  options: { waitReady?: boolean; timeoutMs?: number; built?: boolean } = {},
): Promise<ServiceProcess> {
  const port = env['PORT'] ? Number(env['PORT']) : await freePort();
  const entry = options.built ? ['dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, entry, {
    cwd: projectRoot,
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const service: ServiceProcess = {
    child,
    port,
    stdout: () => out,
    stderr: () => err,
    exited,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady ?? true) await waitFor(service, '/readyz', options.timeoutMs ?? 60_000);
  return service;
}

/** Polls a path until it answers 200, or fails with what the process printed. */
export async function waitFor(service: ServiceProcess, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void service.exited.then((c) => (exitCode = c));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`service exited (${exitCode}): ${printed(service)}`);
    try {
      const res = await fetch(service.url(path));
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service not ready after ${timeoutMs} ms: ${printed(service)}`);
}

/** The tail of what the process wrote (pino logs go to stdout, crashes to stderr), for a failure message. */
export const printed = (service: ServiceProcess): string => `stderr: ${service.stderr().slice(-3000)}\nstdout: ${service.stdout().slice(-3000)}`;

/** Compiles src/ into dist/ (`npm run build`), for tests that run the shipped entry points as `npm start` does. */
export async function buildDist(): Promise<void> {
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`tsc -p tsconfig.build.json failed (${code}): ${output.slice(-3000)}`);
}
