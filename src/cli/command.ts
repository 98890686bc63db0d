import type { Deps } from '../deps.js';

/** What a command can use: the opened dependencies (opened lazily, once) and where to print. */
export interface CommandContext {
  deps(): Promise<Deps>;
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
