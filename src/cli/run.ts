import pino from 'pino';
import { cliActor } from '../audit/request-actor.js';
import { ConfigError, loadConfig } from '../config.js';
import type { Deps } from '../deps.js';
import { createLogger } from '../log.js';
import { createDeps } from '../runtime.js';
import { CommandFailure, UsageError, type CommandContext, type CommandEdge } from './command.js';
import { commandGroups } from './commands.js';
import { terminalSafe } from './terminal-text.js';

function helpText(): string {
  const width = Math.max(...commandGroups.map((g) => g.name.length));
  return [
    'usage: portal-provisioning <command> [options] [--json]',
    '',
    'commands:',
    ...commandGroups.map((g) => `  ${g.name.padEnd(width)}  ${g.summary}`),
    '',
    'Run `portal-provisioning <command> --help` for its options. Configuration comes from the environment (see README).',
  ].join('\n');
}

/** This process's own terminal, directory and Ctrl-C: the edge of a CLI run in its own process. */
export const processEdge = (): CommandEdge => ({
  cwd: process.cwd(),
  errIsTty: Boolean(process.stderr.isTTY),
  errRaw: (text) => process.stderr.write(text),
  onInterrupt: (handler) => {
    process.once('SIGINT', handler);
    return () => process.removeListener('SIGINT', handler);
  },
});

/**
 * Runs one CLI invocation and returns the exit code: 0 done, 1 failed, 2 wrong usage or configuration. With
 * `open` the caller owns the dependencies (a test, or the service over its control socket) and they are not
 * closed here.
 */
export async function runCli(
  argv: string[],
  raw: Pick<CommandContext, 'out' | 'err'>,
  open?: () => Promise<Deps>,
  edge: CommandEdge = processEdge(),
): Promise<number> {
  const json = argv.includes('--json');
  const io = humanOutput(raw, json);
  const args = argv.filter((a) => a !== '--json');
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.outLines(helpText());
    return name ? 0 : 2;
  }
  const group = commandGroups.find((g) => g.name === name);
  if (!group) {
    io.err(`unknown command "${name}"`);
    io.errLines(`\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.outLines(`usage: portal-provisioning ${group.usage}`);
    return 0;
  }
  let deps: Deps | undefined;
  const ctx: CommandContext = {
    ...edge,
    actor: edge.actor ?? cliActor(),
    json,
    out: io.out,
    err: io.err,
    deps: async () => {
      if (deps) return deps;
      if (open) deps = await open();
      else {
        const config = loadConfig();
        // The CLI logs only warnings to stderr; its output is for people and scripts.
        deps = await createDeps(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination(2)));
      }
      return deps;
    },
  };
  try {
    return await group.run(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(err.message);
      io.errLines(`usage: portal-provisioning ${group.usage}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(`invalid configuration: ${err.message}`);
      return 2;
    }
    if (err instanceof CommandFailure) {
      if (json) raw.out(JSON.stringify({ error: err.message }));
      io.err(`error: ${err.message}`);
      return 1;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    if (deps && !open) await deps.database.close();
  }
}

/**
 * The one place human-readable output is made terminal-safe: every line a command prints (its `out` without
 * --json, and all of `err`) has its control characters shown as escapes, so text that came from Entra or
 * N-central cannot drive the operator's terminal. --json output is left exact (JSON.stringify escapes C0).
 * The program's own multi-line texts (help, usage) are printed line by line through `outLines`/`errLines`.
 */
function humanOutput(raw: Pick<CommandContext, 'out' | 'err'>, json: boolean) {
  const out = (line: string) => raw.out(json ? line : terminalSafe(line));
  const err = (line: string) => raw.err(terminalSafe(line));
  return {
    out,
    err,
    outLines: (text: string) => text.split('\n').forEach(out),
    errLines: (text: string) => text.split('\n').forEach(err),
  };
}
