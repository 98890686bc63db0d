import type { SyncProgress } from '../ncentral/sync.js';

/** One line describing a sync's progress; a bar when the total is known. */
export function progressLine(p: SyncProgress, width = 30): string {
  const counts = `created ${p.created} updated ${p.updated} unchanged ${p.unchanged} removed ${p.removed} skipped ${p.skipped} retries ${p.retries}`;
  if (p.phase !== 'devices' || !p.devicesTotal) return `${p.phase}: ${p.devices_seen} devices, ${counts}`;
  const share = Math.min(1, p.devices_seen / p.devicesTotal);
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% ${p.devices_seen}/${p.devicesTotal} devices, ${counts}`;
}

/**
 * On a terminal: one line redrawn in place. Otherwise (logs, CI): plain lines, at most one per `everyMs`
 * and one per phase change, so a 100,000-device run does not write 100,000 lines.
 */
export function progressReporter(write: (text: string) => void, tty: boolean, now: () => number = Date.now, everyMs = 2000) {
  let last = 0;
  let phase = '';
  return {
    update(p: SyncProgress): void {
      const t = now();
      if (tty) {
        if (t - last < 100 && p.phase === phase) return;
        write(`\r\x1b[2K${progressLine(p)}`);
      } else {
        if (t - last < everyMs && p.phase === phase) return;
        write(`${progressLine(p)}\n`);
      }
      last = t;
      phase = p.phase;
    },
    end(): void {
      if (tty && last > 0) write('\n');
    },
  };
}
