import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/store/tables.js';

/** Where this service keeps the digests of its secrets: an audit entry must not carry one (issue 19). */
const STORED_DIGESTS = [
  ['oauth_client_secrets', 'secret_hash'],
  ['secret_tokens', 'token_hash'],
  ['admin_tokens', 'token_hash'],
  ['console_sessions', 'id_hash'],
  ['setup_codes', 'code_hash'],
] as const;

/** A secret of ours in clear (the writer redacts these, so a hit means a path around it) or a JWT (N-central, OIDC). */
const SECRET_SHAPED = /\b(ppcs|ppst|ppadm)_[A-Za-z0-9_-]{16,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./;

/**
 * Every audit entry of a test file's database checked for secrets, run when the file's shared database is
 * disposed, so the whole suite's entries are searched: for the stored digest of any credential of that database,
 * and for text shaped like a secret in clear. Returns one line per leak.
 */
export async function auditSecretLeaks(db: Kysely<DB>): Promise<string[]> {
  // The entry without its chain hashes (hex digests that are the chain's own, not secrets).
  const entries = await sql<{ tenant_id: string; seq: string; body: string }>`
    select tenant_id, seq::text as seq, (to_jsonb(a) - 'hash' - 'prev_hash')::text as body from audit_entries a`.execute(db);
  if (entries.rows.length === 0) return [];
  const digests: string[] = [];
  for (const [table, column] of STORED_DIGESTS) {
    const rows = await sql<{ d: string }>`select ${sql.ref(column)} as d from ${sql.table(table)}`.execute(db);
    digests.push(...rows.rows.map((r) => r.d).filter((d) => d.length >= 16));
  }
  const leaks: string[] = [];
  for (const e of entries.rows) {
    const where = `audit entry ${e.tenant_id}#${e.seq}`;
    if (SECRET_SHAPED.test(e.body)) leaks.push(`${where} holds a secret in clear: ${e.body.slice(0, 300)}`);
    const digest = digests.find((d) => e.body.includes(d));
    if (digest) leaks.push(`${where} holds a stored secret digest: ${e.body.slice(0, 300)}`);
  }
  return leaks;
}
