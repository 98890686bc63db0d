/**
 * Seeds N Entra-shaped users into one tenant of an already migrated schema with one INSERT … SELECT
 * generate_series (1,000,000 users in about a minute), then VACUUM ANALYZE. User g gets a deterministic id
 * (`benchUserId(g)`), so two schemas seeded alike hold the very same rows and a benchmark can address user g by id
 * on either side of a side-by-side run.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

export const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
/** A custom extension as Entra admins add them (issue 16): matched through the match_document GIN index. */
export const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';

/** md5 of the series number with the version 4 and variant bits set, so it reads as a random UUID everywhere. */
export function benchUserId(g: number): string {
  const hex = createHash('md5').update(`bench-user-${g}`).digest('hex');
  const v = `${hex.slice(0, 12)}4${hex.slice(13, 16)}8${hex.slice(17)}`;
  return `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20)}`;
}

/** `client` must have the schema first on its search_path; the tenant row is created here. */
export async function seedUsers(client: pg.Client, tenantId: string, users: number): Promise<void> {
  await client.query('insert into tenants (id, name, created_at) values ($1, $2, now())', [tenantId, `bench-${tenantId.slice(0, 8)}`]);
  // Created one second apart in the past, so list order (created_at, id) is the series order.
  await client.query(
    `insert into accounts (tenant_id, id, user_name, external_id, given_name, family_name, display_name, email, active, resource, version, created_at, updated_at)
     select $1::uuid, overlay(overlay(md5('bench-user-' || g) placing '4' from 13) placing '8' from 17)::uuid,
            'user' || g || '@bench.test', 'ext-' || g, 'Given' || g, 'Family' || g,
            'Given' || g || ' Family' || g, 'user' || g || '@bench.test', true,
            jsonb_build_object(
              'schemas', jsonb_build_array($2::text, $3::text, $4::text),
              'userName', 'user' || g || '@bench.test', 'externalId', 'ext-' || g, 'active', true,
              'displayName', 'Given' || g || ' Family' || g,
              'name', jsonb_build_object('givenName', 'Given' || g, 'familyName', 'Family' || g),
              'emails', jsonb_build_array(jsonb_build_object('type', 'work', 'primary', true, 'value', 'user' || g || '@bench.test')),
              $3::text, jsonb_build_object('employeeNumber', 'E' || g, 'department', 'Dept' || (g % 50)),
              $4::text, jsonb_build_object('tag', 'Tag-' || g)),
            1, now() - make_interval(secs => $5::int - g), now() - make_interval(secs => $5::int - g)
     from generate_series(1, $5::int) as g`,
    [tenantId, CORE, ENTERPRISE, CUSTOM, users],
  );
  // Seeded past the statements that count accounts: the counter the unfiltered list reads is set here (issue 14);
  // a revision from before the counter (the old side of --against) has no such table.
  const counter = await client.query<{ exists: boolean }>("select to_regclass('account_counts') is not null as exists");
  if (counter.rows[0]?.exists) await client.query('insert into account_counts (tenant_id, accounts) values ($1, $2)', [tenantId, users]);
  await client.query('vacuum analyze accounts');
}
