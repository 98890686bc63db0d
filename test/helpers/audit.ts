import { sql, type Kysely } from 'kysely';
import type { AuditEntry } from '../../src/audit/audit-entry.js';
import { runCli } from '../../src/cli/run.js';
import type { Deps } from '../../src/deps.js';
import { auditEntryOf } from '../../src/store/audit-entries.js';
import type { AuditEntryRow, DB } from '../../src/store/tables.js';

/** A chain's entries in seq order (SERVICE_WIDE for the service's), as the writer returned them. */
export async function chainOf(db: Kysely<DB>, tenantId: string): Promise<AuditEntry[]> {
  const { rows } = await sql<AuditEntryRow>`select * from audit_entries where tenant_id = ${tenantId} order by seq`.execute(db);
  return rows.map(auditEntryOf);
}

/** Entries of any chain with this action and target id, by time then seq (seq orders only within one chain). */
export async function entriesFor(db: Kysely<DB>, action: string, targetId?: string): Promise<AuditEntry[]> {
  const { rows } = targetId === undefined
    ? await sql<AuditEntryRow>`select * from audit_entries where action = ${action} order by occurred_at, seq`.execute(db)
    : await sql<AuditEntryRow>`select * from audit_entries where action = ${action} and target_id = ${targetId} order by occurred_at, seq`.execute(db);
  return rows.map(auditEntryOf);
}

/** Every entry in the database as stored text (each row cast to JSON), for searching for secrets. */
export async function everyEntryAsText(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ text: string }>`select row_to_json(a)::text as text from audit_entries a`.execute(db);
  return rows.map((r) => r.text);
}

export interface CliRun {
  code: number;
  out: string[];
  err: string[];
  json(): Record<string, unknown>;
}

/** Runs a CLI command on the test's own deps, as the OS user `user` (what the audit trail names). */
export async function cliAs(deps: Deps, user: string, ...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => deps, {
    cwd: process.cwd(),
    errIsTty: false,
    errRaw: () => undefined,
    onInterrupt: () => () => undefined,
    actor: { type: 'cli', id: user },
  });
  return { code, out, err, json: () => JSON.parse(out.join('\n')) as Record<string, unknown> };
}
