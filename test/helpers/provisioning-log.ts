import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/store/tables.js';

export interface SeedEntry {
  occurredAt?: Date | string;
  operation?: string;
  outcome?: 'success' | 'failure';
  userName?: string | null;
  externalId?: string | null;
  userId?: string | null;
  requestId?: string | null;
  clientId?: string | null;
  httpStatus?: number;
  scimType?: string | null;
  detail?: string | null;
  changes?: unknown;
}

/**
 * Writes one entry straight into the table (the read API's tests need exact times and values); returns its id.
 * A successful entry naming a user id is one the service writes only for a real account, so its names are
 * recorded as that user's former names too (as if since deleted): the log finds such entries through them.
 */
export async function seedEntry(db: Kysely<DB>, tenantId: string, e: SeedEntry = {}): Promise<string> {
  const outcome = e.outcome ?? 'success';
  const targetId = e.userId === undefined ? randomUUID() : e.userId;
  const userName = e.userName === undefined ? `user-${randomUUID()}@contoso.com` : e.userName;
  const externalId = e.externalId === undefined ? randomUUID() : e.externalId;
  const occurredAt = e.occurredAt ?? new Date('2026-01-15T10:00:00Z');
  if (outcome === 'success' && targetId !== null && userName !== null) {
    await db
      .insertInto('account_former_names')
      .values({ tenant_id: tenantId, account_id: targetId, user_name: userName, external_id: externalId, until: occurredAt })
      .execute();
  }
  const row = await db
    .insertInto('provisioning_log')
    .values({
      tenant_id: tenantId,
      occurred_at: occurredAt,
      client_id: e.clientId ?? 'entra-client',
      request_id: e.requestId ?? randomUUID(),
      operation: e.operation ?? 'Create',
      target_id: targetId,
      target_user_name: userName,
      target_external_id: externalId,
      http_status: e.httpStatus ?? (outcome === 'success' ? 201 : 409),
      outcome,
      scim_type: e.scimType ?? (outcome === 'failure' ? 'uniqueness' : null),
      detail: e.detail ?? null,
      changes: e.changes === undefined ? null : JSON.stringify(e.changes),
      duration_ms: 3,
    })
    .returning(sql<string>`id::text`.as('id'))
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * `count` entries one second apart from `start`, in one statement (generate_series), for volume tests; the
 * successful ones' names recorded as their users' former names, as seedEntry does.
 */
export async function seedMany(db: Kysely<DB>, tenantId: string, count: number, start = '2026-01-01T00:00:00Z'): Promise<void> {
  await sql`
    with seeded as (
    insert into provisioning_log (tenant_id, occurred_at, client_id, request_id, operation, target_id,
      target_user_name, target_external_id, http_status, outcome, scim_type, detail, changes, duration_ms)
    select ${tenantId}::uuid, ${start}::timestamptz + g * interval '1 second', 'entra-client', 'req-' || g,
      case when g % 3 = 0 then 'Update' else 'Create' end, gen_random_uuid(), 'user' || g || '@contoso.com', 'ext-' || g,
      case when g % 10 = 0 then 409 else 201 end, case when g % 10 = 0 then 'failure' else 'success' end,
      null, null, jsonb_build_array(jsonb_build_object('attribute', 'displayName', 'old', 'A' || g, 'new', 'B' || g)), 4
    from generate_series(1, ${count}::int) as g
    returning tenant_id, target_id, target_user_name, target_external_id, occurred_at, outcome)
    insert into account_former_names (tenant_id, account_id, user_name, external_id, until)
    select tenant_id, target_id, target_user_name, target_external_id, occurred_at from seeded where outcome = 'success'`.execute(db);
}
