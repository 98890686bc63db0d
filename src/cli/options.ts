import { UsageError } from './command.js';

/**
 * `--name value` / `--name=value` options and bare flags, checked against what the command knows: an unknown
 * or valueless option is a UsageError (exit 2), never silently ignored.
 */
export function parseOptions(
  args: string[],
  spec: { values?: readonly string[]; flags?: readonly string[] },
): { values: Map<string, string>; flags: Set<string>; positional: string[] } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (spec.flags?.includes(name) && eq === -1) {
      flags.add(name);
    } else if (spec.values?.includes(name)) {
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { values, flags, positional };
}
