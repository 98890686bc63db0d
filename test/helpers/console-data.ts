import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recountAccounts } from '../../src/store/account-counts.js';
import type { DB } from '../../src/store/tables.js';

/** Rows written straight into the tables the console reads, for page tests (the SCIM server writes them in production). */
export interface LogSeed {
  at: Date;
  operation?: string;
  userName?: string;
  outcome?: 'success' | 'failure';
  httpStatus?: number;
  scimType?: string | null;
  detail?: string | null;
  changes?: Array<{ attribute: string; old?: unknown; new?: unknown }> | null;
  requestId?: string;
}

export async function seedLogEntry(db: Kysely<DB>, tenantId: string, seed: LogSeed): Promise<string> {
  const failure = seed.outcome === 'failure';
  const row = await db
    .insertInto('provisioning_log')
    .values({
      tenant_id: tenantId,
      occurred_at: seed.at,
      client_id: 'entra-client',
      request_id: seed.requestId ?? randomUUID(),
      operation: seed.operation ?? 'Create',
      target_id: randomUUID(),
      target_user_name: seed.userName ?? 'someone@contoso.example',
      target_external_id: null,
      http_status: seed.httpStatus ?? (failure ? 409 : 201),
      outcome: seed.outcome ?? 'success',
      scim_type: seed.scimType ?? (failure ? 'uniqueness' : null),
      detail: seed.detail ?? (failure ? 'userName is already taken' : null),
      changes: seed.changes === undefined || seed.changes === null ? null : JSON.stringify(seed.changes),
      duration_ms: 12,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(row.id);
}

export async function seedAccount(db: Kysely<DB>, tenantId: string, userName: string, active = true, at = new Date('2026-01-15T09:00:00Z')): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('accounts')
    .values({
      tenant_id: tenantId,
      id,
      user_name: userName,
      external_id: null,
      given_name: 'Given',
      family_name: 'Family',
      display_name: userName.split('@')[0] ?? userName,
      email: userName,
      active,
      resource: JSON.stringify({ userName }),
      created_at: at,
      updated_at: at,
    })
    .execute();
  // Written past the statements that count accounts: counted afresh, so the SCIM list's total stays exact (issue 14).
  await recountAccounts(db, tenantId);
  return id;
}
