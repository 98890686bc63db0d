import { sql, type Kysely } from 'kysely';

/**
 * Filtering on any attribute (issue 16): Entra's matching attribute may be any attribute, enterprise and
 * custom extension ones included (e.g. employeeId mapped to enterprise employeeNumber), and Test Connection
 * looks it up with `eq`. `match_document` is the resource with every key and string lower-cased, so a
 * caseExact=false equality is a jsonb containment (`@>`) that a GIN jsonb_path_ops index serves; the filter
 * lower-cases its containment document with the same lower() (src/scim/match-document.ts).
 *
 * A stored generated column: every write path (SCIM, bulk seeding, tests inserting rows directly) keeps it
 * in step without code, and adding it computes it for the rows already there (the backfill), in one table
 * rewrite. lower(), jsonb_out and jsonb_in are immutable, as a generated column needs, on PostgreSQL and PGlite.
 * The index cannot lead with tenant_id (GIN); every query still carries `tenant_id = …`, which rechecks.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table accounts add column match_document jsonb generated always as (lower(resource::text)::jsonb) stored`.execute(db);
  await sql`create index accounts_match_document_idx on accounts using gin (match_document jsonb_path_ops)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists accounts_match_document_idx`.execute(db);
  await sql`alter table accounts drop column if exists match_document`.execute(db);
}
