import { randomUUID } from 'node:crypto';
import t from 'tap';
import { compileFilter, parseFilter } from '../../src/scim/filter.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { databaseAtMigration } from '../helpers/database.js';

// Upgrading a database whose accounts were written before migration 2026-12-04-0060: the match document is
// computed for the rows already there, so filters on enterprise and custom attributes find them at once.

const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

t.test('after the upgrade, existing accounts are found by enterprise and custom attributes, ignoring case', async (t) => {
  const db = await databaseAtMigration(t, '2026-12-01-0040-cheaper-provisioning-log-writes');
  const tenantId = randomUUID();
  await db.insertInto('tenants').values({ id: tenantId, name: `upgrade-${tenantId}`, created_at: new Date() }).execute();
  const id = randomUUID();
  const now = new Date('2026-12-01T12:00:00Z');
  await db.insertInto('accounts').values({
    tenant_id: tenantId, id, user_name: 'Old.User@contoso.com', external_id: null, given_name: 'Old', family_name: 'User',
    display_name: null, email: null, active: true, created_at: now, updated_at: now,
    resource: JSON.stringify({ userName: 'Old.User@contoso.com', [ENTERPRISE]: { employeeNumber: 'E-42' }, [CUSTOM]: { Tag: 'Ünïcode Blue' } }),
  }).execute();

  await migrateToLatest(db);

  for (const filter of [`${ENTERPRISE}:employeeNumber eq "e-42"`, `${CUSTOM}:tag eq "ünïcode blue"`, `${CUSTOM}:TAG eq "Ünïcode Blue"`, `${CUSTOM}:tag pr`]) {
    const where = compileFilter(parseFilter(filter));
    const rows = await db.selectFrom('accounts').select('id').where('tenant_id', '=', tenantId).where(() => where).execute();
    t.same(rows.map((r) => r.id), [id], filter);
  }
});
