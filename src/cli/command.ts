import type { AuditActor } from '../audit/audit-entry.js';
import type { Deps } from '../deps.js';

/**
 * The caller's side of a command: its terminal, working directory and Ctrl-C. In a CLI process these are the
 * process's own; when the service runs a command for a CLI over its control socket (src/control/) they are the
 * CLI's, carried over the socket, so the command behaves the same in both places.
 */
export interface CommandEdge {
  /** Relative paths in arguments (--token-file) are resolved against this. */
  cwd: string;
  /** stderr is a terminal: progress is redrawn in place. */
  errIsTty: boolean;
  /** Writes to stderr as is (the progress redraw), not line by line. */
  errRaw(text: string): void;
  /** Calls `handler` on Ctrl-C (or when the caller goes away) while subscribed; returns the unsubscribe. */
  onInterrupt(handler: () => void): () => void;
  /** Set when a running service runs the command for a CLI: that service's pid. */
  servedBy?: { pid: number } | undefined;
  /** Who the audit trail names for what the command changes; the OS user running the CLI when unset. */
  actor?: AuditActor | undefined;
}

/** What a command can use: the opened dependencies (opened lazily, once) and where to print. */
export interface CommandContext extends CommandEdge {
  deps(): Promise<Deps>;
  /** Who the command acts as, for the audit trail (issue 19). */
  actor: AuditActor;
  json: boolean;
  out(line: string): void;
  err(line: string): void;
}

/** A command group (`tenant`, `client`, …). `run` returns the exit code. */
export interface CommandGroup {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], ctx: CommandContext): Promise<number>;
}

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command that ran and failed for a reason the user can act on (unknown tenant, …): exit code 1. */
export class CommandFailure extends Error {
  override name = 'CommandFailure';
}

/** Prints one JSON object with --json, else the human lines. */
export function emit(ctx: CommandContext, json: unknown, human: string[]): void {
  if (ctx.json) ctx.out(JSON.stringify(json));
  else for (const line of human) ctx.out(line);
}
