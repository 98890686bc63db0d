import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, lstatSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { cliActor } from '../audit/request-actor.js';
import { runCli } from '../cli/run.js';
import type { CommandEdge } from '../cli/command.js';
import type { Deps } from '../deps.js';
import { CancelRequest, frame, MAX_SOCKET_PATH, parseMessage, readLines, RunRequest, SOCKET_FILE, TOKEN_FILE, type ServerMessage } from './protocol.js';

/** How long a peer has to send its command after connecting. */
const REQUEST_TIMEOUT_MS = 10_000;
/** On shutdown, how long running commands get to end once interrupted, before their sockets are cut. */
const CLOSE_WAIT_MS = 5_000;

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

export class ControlSocketError extends Error {
  override name = 'ControlSocketError';
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Listens on DATA_DIR/portal-provisioning.sock (mode 0600, no network port) and runs each CLI command handed
 * to it with runCli and this service's own Deps, streaming the output back. Only for the embedded database, whose
 * lock this process holds (so a socket file already there is a dead holder's, and is replaced). Undefined when
 * the folder's path is too long for a Unix socket (logged: the CLI then cannot run beside the service).
 */
export async function startControlServer(deps: Deps, dataDir: string): Promise<ControlServer | undefined> {
  const root = resolve(dataDir);
  const path = join(root, SOCKET_FILE);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    deps.log.warn({ path }, 'DATA_DIR path too long for the control socket: CLI commands cannot run while the service runs');
    return undefined;
  }
  removeStaleSocket(path);
  const tokenPath = join(root, TOKEN_FILE);
  const token = randomBytes(32).toString('base64url');
  // Written afresh with 0600, so only this user (and root) can read it: a peer that presents it is one of them.
  try {
    unlinkSync(tokenPath);
  } catch {
    // Not there yet.
  }
  writeFileSync(tokenPath, `${token}\n`, { mode: 0o600, flag: 'wx' });
  const expected = digest(token);

  // Deps whose close does nothing: a command never closes the service's database.
  const commandDeps: Deps = { ...deps, database: { ...deps.database, close: async () => undefined } };
  const running = new Map<Socket, { interrupt(): void; done: Promise<void> }>();
  const server = createServer((socket) => {
    const session = serve(socket, {
      authorised: (presented) => timingSafeEqual(digest(presented), expected),
      deps: commandDeps,
    });
    running.set(socket, session);
    void session.done.finally(() => running.delete(socket));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(path, () => {
      server.off('error', fail);
      ok();
    });
  });
  // The file system is the guard: only this user can connect (the token covers the moment before chmod).
  chmodSync(path, 0o600);
  deps.log.info({ path }, 'CLI commands are accepted on the control socket');

  return {
    path,
    async close() {
      await new Promise<void>((done) => server.close(() => done()));
      for (const session of running.values()) session.interrupt();
      const all = Promise.all([...running.values()].map((s) => s.done));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((done) => (timer = setTimeout(done, CLOSE_WAIT_MS)))]).finally(() => clearTimeout(timer));
      for (const socket of running.keys()) socket.destroy();
      for (const file of [path, tokenPath]) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone.
        }
      }
    },
  };
}

/** A socket left by a holder that died (kill -9, power cut) would make listen fail with EADDRINUSE. */
function removeStaleSocket(path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new ControlSocketError(`${path} exists and is not a socket; move it away and start again`);
  unlinkSync(path);
}

/** One connection: read the `run` request, check the token, run the command, stream its output, send `exit`. */
function serve(socket: Socket, options: { authorised(token: string): boolean; deps: Deps }): { interrupt(): void; done: Promise<void> } {
  const interrupts = new Set<() => void>();
  let finished = false;
  let started = false;
  let settle = (): void => undefined;
  const done = new Promise<void>((resolveDone) => (settle = resolveDone));
  const send = (message: ServerMessage): void => {
    if (!finished && socket.writable) socket.write(frame(message));
  };
  const end = (code: number): void => {
    send({ type: 'exit', code });
    finished = true;
    socket.end();
  };
  const refuse = (reason: string): void => {
    send({ type: 'err', line: `error: ${reason}` });
    end(2);
    settle();
  };
  const interrupt = (): boolean => {
    const handlers = [...interrupts];
    handlers.forEach((h) => h());
    return handlers.length > 0;
  };

  socket.on('error', () => undefined);
  // The CLI went away (closed, killed): stop what listens for Ctrl-C; anything else carries on, unheard.
  socket.on('close', () => {
    interrupt();
    finished = true;
    if (!started) settle();
  });
  const timer = setTimeout(() => {
    if (!started) refuse('no command received');
  }, REQUEST_TIMEOUT_MS);

  readLines(
    socket,
    (line) => {
      if (!started) {
        started = true;
        clearTimeout(timer);
        const request = parseMessage(RunRequest, line);
        if (!request) return refuse('not a command request');
        if (!options.authorised(request.token)) return refuse('the control token does not match: run the CLI as the user the service runs as, on its DATA_DIR');
        void run(request).finally(settle);
        return;
      }
      if (!parseMessage(CancelRequest, line)) return;
      // Ctrl-C: a command that listens (logs tail) ends as it would in its own process; one that does not
      // (ncentral sync) keeps running in the service, and the CLI is let go.
      if (!interrupt()) {
        send({ type: 'err', line: `interrupted: the command carries on in the service (pid ${process.pid})` });
        end(130);
      }
    },
    () => refuse('message too long'),
  );

  async function run(request: RunRequest): Promise<void> {
    const edge: CommandEdge = {
      cwd: request.cwd,
      errIsTty: request.errIsTty,
      errRaw: (text) => send({ type: 'raw', text }),
      onInterrupt: (handler) => {
        if (finished) queueMicrotask(handler);
        interrupts.add(handler);
        return () => interrupts.delete(handler);
      },
      servedBy: { pid: process.pid },
      actor: { ...cliActor(request.user), label: 'via the control socket' },
    };
    options.deps.log.info({ command: request.argv.slice(0, 2).join(' ') }, 'CLI command over the control socket');
    const code = await runCli(
      request.argv,
      { out: (line) => send({ type: 'out', line }), err: (line) => send({ type: 'err', line }) },
      async () => options.deps,
      edge,
    );
    end(code);
  }

  return { interrupt: () => void interrupt(), done };
}
