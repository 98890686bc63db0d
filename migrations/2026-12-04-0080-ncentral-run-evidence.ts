import { sql, type Kysely } from 'kysely';

/**
 * What a sync run saw, recorded (issue 20 item 5, issue 15 item 4):
 * - `ncentral_sync_runs.error_code`: the kind of N-central failure that stopped a run, e.g. `serverMisbehaved`
 *   when a cap on pages, items, field length or bytes was hit;
 * - `ncentral_sync_runs.removal_answers`: for devices missing from a complete pass, how N-central answered
 *   (404, a 200 whose assets say deleted, 401/403 "no permission", still there, or no answer);
 * - `ncentral_devices.removed_because`: which of those answers confirmed a device's removal.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ncentral_sync_runs').addColumn('error_code', 'text').execute();
  await db.schema
    .alterTable('ncentral_sync_runs')
    .addColumn('removal_answers', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.alterTable('ncentral_devices').addColumn('removed_because', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ncentral_devices').dropColumn('removed_because').execute();
  await db.schema.alterTable('ncentral_sync_runs').dropColumn('removal_answers').execute();
  await db.schema.alterTable('ncentral_sync_runs').dropColumn('error_code').execute();
}
