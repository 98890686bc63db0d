import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { readCertificatePair, type CertificatePair, type TlsFiles } from './tls-certificate.js';

export interface CertificateWatchOptions {
  files: TlsFiles;
  /** The pair being served now; a renewal must differ from it to be swapped in. */
  current: CertificatePair;
  /** Swaps a checked pair in (server.setSecureContext on every listening server). */
  apply: (pair: CertificatePair) => void;
  log: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Renewal tools write the certificate and the key one after the other: wait for both before reading. */
  debounceMs?: number;
  /** Fallback for file systems whose changes fs.watch does not report (network mounts, some volumes). */
  pollMs?: number;
}

export interface CertificateWatch {
  /** Reads the files now and swaps them in if they changed and still make a good pair. */
  check(): void;
  stop(): void;
}

/**
 * Picks up a renewed certificate without a restart: watches the files' folders (renewal tools replace files by
 * rename, Kubernetes swaps a symlinked folder, so the folder is what changes) and stats them periodically. A new
 * pair is checked as at boot before it is swapped in; a bad one is logged once and the served pair kept.
 */
export function watchCertificatePair(options: CertificateWatchOptions): CertificateWatch {
  const { files, log } = options;
  const debounceMs = options.debounceMs ?? 250;
  const pollMs = options.pollMs ?? 60_000;
  let served = options.current;
  const settleMs = Math.max(4 * debounceMs, 1000);
  /** A refusal seen once, and the one last logged (each is logged once, after it was seen twice). */
  let firstSight: string | undefined;
  let lastRefusal: string | undefined;
  let lastStat = statSignature(files);
  let pending: NodeJS.Timeout | undefined;

  const check = (): void => {
    lastStat = statSignature(files);
    const reading = readCertificatePair(files);
    if (!reading.ok) {
      const refusal = `${reading.variable}: ${reading.problem}`;
      if (refusal === lastRefusal) return;
      // Seen once: perhaps a renewal caught between writing the certificate and the key. Look again before saying so.
      if (refusal !== firstSight) {
        firstSight = refusal;
        schedule(settleMs);
        return;
      }
      log.warn({ tls: { variable: reading.variable, problem: reading.problem }, served: served.served }, 'renewed TLS certificate refused; still serving the previous one');
      lastRefusal = refusal;
      return;
    }
    firstSight = undefined;
    lastRefusal = undefined;
    if (reading.pair.digest === served.digest) return;
    options.apply(reading.pair);
    served = reading.pair;
    log.info({ tls: reading.pair.served }, 'serving a renewed TLS certificate');
  };

  const schedule = (delayMs = debounceMs): void => {
    if (pending) clearTimeout(pending);
    pending = setTimeout(() => {
      pending = undefined;
      check();
    }, delayMs);
    pending.unref();
  };

  const watchers: FSWatcher[] = [];
  for (const folder of new Set([dirname(files.certFile), dirname(files.keyFile)])) {
    try {
      const watcher = watch(folder, { persistent: false }, () => schedule());
      // A folder that goes away (or a watch the platform refuses later) leaves the periodic check.
      watcher.on('error', (err) => log.debug({ err: { message: err.message }, folder }, 'TLS folder watch stopped; the periodic check remains'));
      watchers.push(watcher);
    } catch (err) {
      log.debug({ err: { message: (err as Error).message }, folder }, 'cannot watch TLS folder; the periodic check remains');
    }
  }
  const poll = setInterval(() => {
    if (statSignature(files) !== lastStat) schedule();
  }, pollMs);
  poll.unref();

  return {
    check,
    stop: () => {
      clearInterval(poll);
      if (pending) clearTimeout(pending);
      for (const watcher of watchers) watcher.close();
    },
  };
}

/** Size, mtime and inode of both files (following symlinks): what a renewal changes. */
function statSignature(files: TlsFiles): string {
  return [files.certFile, files.keyFile]
    .map((path) => {
      try {
        const s = statSync(path);
        return `${basename(path)}:${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${basename(path)}:missing`;
      }
    })
    .join('|');
}
