import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import { dataDirHolder } from '../runtime.js';
import { frame, parseMessage, readLines, ServerMessage, SOCKET_FILE, TOKEN_FILE, type CancelRequest, type RunRequest } from './protocol.js';

export interface ForwardIo {
  out(line: string): void;
  err(line: string): void;
  errRaw(text: string): void;
  errIsTty: boolean;
  cwd: string;
  /** Subscribes to Ctrl-C for the time of the command; returns the unsubscribe. */
  onInterrupt(handler: () => void): () => void;
}

/** A service that holds the lock but is still migrating has not opened its socket yet. */
const DEFAULT_WAIT_MS = 30_000;

/**
 * When a live service holds the embedded DATA_DIR, hands it the whole command over the control socket and
 * returns the exit code it reports; undefined when there is no such service (PostgreSQL, a free folder, a stale
 * lock from a dead process), and the CLI runs the command itself.
 */
export async function forwardToService(
  argv: string[],
  io: ForwardIo,
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  waitMs = DEFAULT_WAIT_MS,
): Promise<number | undefined> {
  const holder = dataDirHolder(config);
  if (!holder || holder.role !== 'service') return undefined;
  const root = resolve(config.dataDir);
  const path = join(root, SOCKET_FILE);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const socket = await tryConnect(path);
    if (socket) {
      const refusal = ownerProblem(path);
      if (refusal) {
        socket.destroy();
        io.err(`error: ${refusal}`);
        return 1;
      }
      let token: string;
      try {
        token = readFileSync(join(root, TOKEN_FILE), 'utf8').trim();
      } catch (err) {
        socket.destroy();
        io.err(`error: cannot read ${join(root, TOKEN_FILE)} (${(err as NodeJS.ErrnoException).code ?? 'error'}): run the CLI as the user the service (pid ${holder.pid}) runs as`);
        return 1;
      }
      return exchange(socket, { type: 'run', token, argv, cwd: io.cwd, errIsTty: io.errIsTty, user: osUserName() }, io, holder.pid);
    }
    // The service died meanwhile: its lock is stale now, and the CLI can open the folder itself.
    if (dataDirHolder(config)?.pid !== holder.pid) return undefined;
    if (Date.now() >= deadline) {
      io.err(`error: DATA_DIR ${root} is held by the running service (pid ${holder.pid}), which did not accept the command on ${path} within ${Math.round(waitMs / 1000)} s`);
      return 1;
    }
    await sleep(200);
  }
}

/** The socket must be the caller's own (or the caller is root): never hand a command to another user's process. */
function ownerProblem(path: string): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0) return undefined;
  const owner = statSync(path).uid;
  return owner === uid ? undefined : `${path} belongs to uid ${owner}, not to you (uid ${uid}): run the CLI as the user the service runs as`;
}

async function tryConnect(path: string): Promise<Socket | undefined> {
  return new Promise((done) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      done(socket);
    });
    socket.once('error', () => done(undefined));
  });
}

/** Sends the command, relays what comes back, and passes Ctrl-C on (a second Ctrl-C leaves at once). */
async function exchange(socket: Socket, request: RunRequest, io: ForwardIo, pid: number): Promise<number> {
  return new Promise((done) => {
    let code: number | undefined;
    let interrupted = false;
    const unsubscribe = io.onInterrupt(function onCtrlC() {
      if (interrupted) {
        socket.destroy();
        return;
      }
      interrupted = true;
      socket.write(frame({ type: 'cancel' } satisfies CancelRequest));
    });
    const finish = (exitCode: number): void => {
      unsubscribe();
      done(exitCode);
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (code !== undefined) return finish(code);
      if (interrupted) return finish(130);
      io.err(`error: the service (pid ${pid}) closed the connection before the command finished`);
      finish(1);
    });
    readLines(
      socket,
      (line) => {
        const message = parseMessage(ServerMessage, line);
        if (!message || code !== undefined) return;
        if (message.type === 'out') io.out(message.line);
        else if (message.type === 'err') io.err(message.line);
        else if (message.type === 'raw') io.errRaw(message.text);
        else code = message.code;
      },
      () => socket.destroy(),
    );
    socket.write(frame(request));
  });
}

/** Who runs this CLI, for the service's audit trail (a user without a passwd entry is left to the service). */
function osUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
