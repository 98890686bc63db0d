import { randomUUID } from 'node:crypto';
import t from 'tap';
import { insertTenant, TenantNameTaken } from '../../src/store/tenants.js';
import { createTenant, renameTenant, TenantError } from '../../src/tenants/service.js';
import { testClock } from '../helpers/clock.js';
import { sharedTestDatabase } from '../helpers/database.js';
import { cliActor } from '../../src/audit/request-actor.js';

const unique = (what: string) => `${what} ${randomUUID().slice(0, 8)}`;

t.test('the store names a tenant name taken by the unique index (a race the service check cannot see)', async (t) => {
  const { database } = await sharedTestDatabase();
  const name = unique('Contoso');
  await insertTenant(database.db, { id: randomUUID(), name, createdAt: new Date() });
  await t.rejects(insertTenant(database.db, { id: randomUUID(), name: name.toUpperCase(), createdAt: new Date() }), TenantNameTaken);
});

t.test('renaming keeps the id, trims the name and refuses one another tenant has', async (t) => {
  const { database } = await sharedTestDatabase();
  const deps = { db: database.db, clock: testClock() };
  const first = await createTenant(deps, unique('First'), cliActor('test'));
  const second = await createTenant(deps, unique('Second'), cliActor('test'));
  const newName = unique('Renamed');
  const renamed = await renameTenant(deps, first.id, `  ${newName} `, cliActor('test'));
  t.equal(renamed.id, first.id);
  t.equal(renamed.name, newName);
  await t.rejects(renameTenant(deps, first.id, second.name.toLowerCase(), cliActor('test')), TenantError);
  await t.rejects(renameTenant(deps, first.id, randomUUID(), cliActor('test')), TenantError, 'a name shaped like an id');
  await t.rejects(renameTenant(deps, randomUUID(), unique('Nobody'), cliActor('test')), TenantError, 'an unknown tenant');
  // Renaming to its own name in another case is allowed (the index is on lower(name), and the row is itself).
  t.equal((await renameTenant(deps, first.id, newName.toUpperCase(), cliActor('test'))).name, newName.toUpperCase());
});
