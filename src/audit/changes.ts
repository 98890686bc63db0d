import type { AuditChanges } from './audit-entry.js';

/**
 * The `changes` of an audit entry: old → new for the listed fields that differ. Only fields named by the caller
 * are read, so a secret column on the same row can never slip in; the list is the caller's statement of which
 * fields are safe to record. Returns undefined when nothing listed changed.
 */
export function fieldChanges<T extends object, K extends keyof T & string>(
  before: T | null | undefined,
  after: T | null | undefined,
  fields: readonly K[],
): AuditChanges | undefined {
  const changes: AuditChanges = {};
  for (const field of fields) {
    const old = before ? normalise(before[field]) : null;
    const now = after ? normalise(after[field]) : null;
    if (!sameValue(old, now)) changes[field] = { old, new: now };
  }
  return Object.keys(changes).length > 0 ? changes : undefined;
}

/** Dates as ISO text and undefined as null: the form the value takes once stored as JSON. */
function normalise(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
