import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CommandFailure, UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its complaints (unknown option, missing value) turned into usage errors. */
export function parseCommandArgs<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Runs a service call, turning the operator-fixable errors (unknown tenant or client) into exit code 1. */
export async function orFail<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof Error && (err.name === 'TenantError' || err.name === 'CredentialError')) throw new CommandFailure(err.message);
    throw err;
  }
}
