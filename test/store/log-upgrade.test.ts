import { randomUUID } from 'node:crypto';
import t from 'tap';
import { cliReader, listEntries } from '../../src/provisioning-log/service.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { databaseAtMigration } from '../helpers/database.js';
import { seedEntry } from '../helpers/provisioning-log.js';

// Upgrading a database whose log was written before migration 2026-12-01-0040: names of users renamed or deleted
// since are taken from the log into account_former_names, so searches by those names still find their entries.

t.test("after the upgrade, the log's entries of renamed and deleted users are found by the names they carried", async (t) => {
  const db = await databaseAtMigration(t, '2026-11-23-0030-ncentral-sync');
  const tenantId = randomUUID();
  await db.insertInto('tenants').values({ id: tenantId, name: `upgrade-${tenantId}`, created_at: new Date() }).execute();
  const carol = randomUUID();
  const now = new Date('2026-11-30T12:00:00Z');
  await db.insertInto('accounts').values({
    tenant_id: tenantId, id: carol, user_name: 'carol@contoso.com', external_id: 'C-2', given_name: 'Carol', family_name: 'C',
    display_name: null, email: null, active: true, resource: JSON.stringify({ userName: 'carol@contoso.com' }), created_at: now, updated_at: now,
  }).execute();
  // Straight into the old table: seedEntry would also write former names, a table this schema does not have yet.
  const entry = (userId: string | null, userName: string, externalId: string | null, outcome: 'success' | 'failure', minute: number) =>
    db.insertInto('provisioning_log').values({
      tenant_id: tenantId, occurred_at: new Date(now.getTime() - (60 - minute) * 60_000), client_id: 'entra', request_id: randomUUID(),
      operation: 'Update', target_id: userId, target_user_name: userName, target_external_id: externalId,
      http_status: outcome === 'success' ? 200 : 409, outcome, scim_type: null, detail: null, changes: null, duration_ms: 1,
    }).execute();
  const dan = randomUUID();
  await entry(carol, 'carol.old@contoso.com', 'C-1', 'success', 1); // before carol's rename
  await entry(carol, 'carol@contoso.com', 'C-2', 'success', 2); // after it
  await entry(dan, 'dan@contoso.com', 'D-1', 'success', 3); // dan was deleted since
  await entry(null, 'erin@contoso.com', null, 'failure', 4); // a 409 create: no user id

  await migrateToLatest(db);

  const names = await db.selectFrom('account_former_names').select(['account_id', 'user_name', 'external_id']).orderBy('user_name').execute();
  t.same(names, [
    { account_id: carol, user_name: 'carol.old@contoso.com', external_id: 'C-1' },
    { account_id: dan, user_name: 'dan@contoso.com', external_id: 'D-1' },
  ], 'only names no account carries any more, each once');
  const found = async (filter: Record<string, string>) =>
    (await listEntries({ db }, cliReader, { tenant: tenantId, filter, limit: 10 })).entries.map((e) => `${e.target.userName}`);
  t.same(await found({ userName: 'carol.old@contoso.com' }), ['carol.old@contoso.com']);
  t.same(await found({ userName: 'carol@contoso.com' }), ['carol@contoso.com']);
  t.same(await found({ externalId: 'C-1' }), ['carol.old@contoso.com']);
  t.same(await found({ userName: 'DAN@contoso.com' }), ['dan@contoso.com']);
  t.same(await found({ userName: 'erin@contoso.com' }), ['erin@contoso.com']);
  // And the log keeps working as before: new entries land and are found.
  await seedEntry(db, tenantId, { userName: 'frank@contoso.com' });
  t.same(await found({ userName: 'frank@contoso.com' }), ['frank@contoso.com']);
});
