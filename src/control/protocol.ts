import type { Socket } from 'node:net';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * The local control channel: a CLI hands its command to the service holding DATA_DIR over a Unix socket in that
 * folder. Newline-delimited JSON, one message a line: the CLI sends `run` (then maybe `cancel`), the service
 * streams `out`/`err`/`raw` and ends with `exit`.
 */
export const SOCKET_FILE = 'portal-provisioning.sock';
/** A fresh secret per service start, readable only by the service's user: the CLI proves it can read it. */
export const TOKEN_FILE = 'portal-provisioning.control';
/** Linux's sun_path holds 108 bytes with the terminating NUL. */
export const MAX_SOCKET_PATH = 107;
/** No message is near this; a longer line is a confused or hostile peer. */
export const MAX_LINE_BYTES = 1024 * 1024;

export const RunRequest = Type.Object({
  type: Type.Literal('run'),
  token: Type.String({ maxLength: 200 }),
  argv: Type.Array(Type.String(), { maxItems: 1000 }),
  cwd: Type.String(),
  errIsTty: Type.Boolean(),
  /** The OS user running the CLI, named in the audit trail; only that user (or root) can read the token. */
  user: Type.Optional(Type.String({ maxLength: 200 })),
});
export type RunRequest = Static<typeof RunRequest>;

/** Ctrl-C at the CLI. */
export const CancelRequest = Type.Object({ type: Type.Literal('cancel') });
export type CancelRequest = Static<typeof CancelRequest>;

export const ServerMessage = Type.Union([
  Type.Object({ type: Type.Literal('out'), line: Type.String() }),
  Type.Object({ type: Type.Literal('err'), line: Type.String() }),
  /** stderr text as is: a progress bar redrawn in place. */
  Type.Object({ type: Type.Literal('raw'), text: Type.String() }),
  Type.Object({ type: Type.Literal('exit'), code: Type.Integer() }),
]);
export type ServerMessage = Static<typeof ServerMessage>;

export const frame = (message: unknown): string => `${JSON.stringify(message)}\n`;

/** Parses a line as JSON and checks it against `schema`; undefined for anything else. */
export function parseMessage<S extends TSchema>(schema: S, line: string): Static<S> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return Value.Check(schema, value) ? value : undefined;
}

/** Calls `onLine` for each complete line the socket sends; `onTooLong` (once) when a line passes MAX_LINE_BYTES. */
export function readLines(socket: Socket, onLine: (line: string) => void, onTooLong: () => void): void {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.length > 0) onLine(line);
      newline = pending.indexOf('\n');
    }
    if (Buffer.byteLength(pending) > MAX_LINE_BYTES) {
      pending = '';
      socket.pause();
      onTooLong();
    }
  });
}
