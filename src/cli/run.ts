import pino from 'pino';
import { ConfigError, loadConfig } from '../config.js';
import type { Deps } from '../deps.js';
import { createLogger } from '../log.js';
import { createDeps } from '../runtime.js';
import { CommandFailure, UsageError, type CommandContext } from './command.js';
import { commandGroups } from './commands.js';

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

/** Runs one CLI invocation and returns the exit code: 0 done, 1 failed, 2 wrong usage or configuration. */
export async function runCli(argv: string[], io: Pick<CommandContext, 'out' | 'err'>, open?: () => Promise<Deps>): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name ? 0 : 2;
  }
  const group = commandGroups.find((g) => g.name === name);
  if (!group) {
    io.err(`unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: portal-provisioning ${group.usage}`);
    return 0;
  }
  let deps: Deps | undefined;
  const ctx: CommandContext = {
    json,
    ...io,
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
      io.err(`${err.message}\nusage: portal-provisioning ${group.usage}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(`invalid configuration: ${err.message}`);
      return 2;
    }
    if (err instanceof CommandFailure) {
      if (json) io.out(JSON.stringify({ error: err.message }));
      io.err(`error: ${err.message}`);
      return 1;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    if (deps && !open) await deps.database.close();
  }
}
