/**
 * The fake N-central in a child process, driven over IPC. Same server as startFakeNcentral; the estate is
 * generated in the child and changed through `estate(method, ...args)`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EstateOptions } from './ncentral-estate.js';
import type { FakeNcentralOptions } from './ncentral.js';

export type ChildServerOptions = Omit<FakeNcentralOptions, 'estate' | 'clock'>;

export interface ChildStart {
  type: 'start';
  id: number;
  estate: EstateOptions;
  server: ChildServerOptions;
}

export type ChildRequest =
  | { type: 'stats'; id: number }
  | { type: 'options'; id: number; options: Partial<ChildServerOptions> }
  | { type: 'expireAllTokens'; id: number }
  | { type: 'estate'; id: number; method: string; args: unknown[] }
  | { type: 'close'; id: number };

export interface FakeProcessStats {
  statusCounts: Record<string, number>;
  maxObservedConcurrency: Record<string, number>;
  rssBytes: number;
}

export interface FakeNcentralProcess {
  url: string;
  caPem: string;
  userApiToken: string;
  pid: number;
  stats(): Promise<FakeProcessStats>;
  setOptions(options: Partial<ChildServerOptions>): Promise<void>;
  expireAllTokens(): Promise<void>;
  /** Calls a FakeEstate method in the child, e.g. `estate('renameCustomer', 101, 'New name')`. */
  estate(method: string, ...args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

type Payload = { id: number; result: unknown; error?: string };
type Outgoing = { type: ChildStart['type'] | ChildRequest['type']; [key: string]: unknown };

export async function startFakeNcentralProcess(options: { estate: EstateOptions; server?: ChildServerOptions }): Promise<FakeNcentralProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./ncentral-child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (payload: Payload) => {
    const waiter = pending.get(payload.id);
    pending.delete(payload.id);
    if (payload.error !== undefined) waiter?.reject(new Error(payload.error));
    else waiter?.resolve(payload.result);
  });
  child.on('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('fake N-central process exited'));
    pending.clear();
  });
  const ask = (message: Outgoing): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ ...message, id });
    });
  const started = (await ask({ type: 'start', estate: options.estate, server: options.server ?? {} })) as { url: string; caPem: string; userApiToken: string };
  return {
    ...started,
    pid: child.pid ?? 0,
    stats: async () => (await ask({ type: 'stats' })) as FakeProcessStats,
    setOptions: async (server) => {
      await ask({ type: 'options', options: server });
    },
    expireAllTokens: async () => {
      await ask({ type: 'expireAllTokens' });
    },
    estate: (method, ...args) => ask({ type: 'estate', method, args }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await ask({ type: 'close' }).catch(() => undefined);
      child.kill();
      await exited;
    },
  };
}
