/** The nightly sync time: "HH:MM" in the tenant's time zone, default 20:00 (Passportal syncs in the evening). */
export const DEFAULT_SYNC_TIME = '20:00';

export function parseSyncTime(text: string): { hour: number; minute: number } | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!m) return null;
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** A daily cron expression for the scheduler. */
export function nightlyCron(syncTime: string): string {
  const t = parseSyncTime(syncTime);
  if (!t) throw new RangeError(`sync time must be HH:MM (24-hour), got "${syncTime}"`);
  return `${t.minute} ${t.hour} * * *`;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The scheduler job name of a tenant's nightly sync. */
export const nightlyJobName = (tenantId: string): string => `ncentral-sync.${tenantId}`;
