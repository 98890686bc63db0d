#!/usr/bin/env node
import { loadConfig } from '../config.js';
import { forwardToService } from '../control/client.js';
import { processEdge, runCli } from './run.js';

const argv = process.argv.slice(2);
const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

/** The configuration, when it loads; if it does not, runCli reports why (exit 2). */
function config() {
  try {
    return loadConfig();
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const loaded = config();
  // A running service holding the embedded DATA_DIR runs the command for us (src/control/); else we run it.
  const forwarded = loaded ? await forwardToService(argv, { ...io, ...processEdge() }, loaded) : undefined;
  return forwarded ?? runCli(argv, io);
}

main().then((code) => {
  process.exitCode = code;
});
