import { randomUUID } from 'node:crypto';
import tap from 'tap';
import { insertAccount } from '../../src/store/accounts.js';
import {
  addMembers,
  findMissingAccounts,
  listGroupMembers,
  listGroupsOfAccount,
  removeAccountFromGroups,
  removeMembers,
  replaceMembers,
} from '../../src/store/group-members.js';
import { sharedTestDatabase } from '../helpers/database.js';

const now = new Date('2026-12-04T12:00:00Z');

async function setup() {
  const { database } = await sharedTestDatabase();
  const db = database.db;
  const tenantId = randomUUID();
  await db.insertInto('tenants').values({ id: tenantId, name: `t-${tenantId}`, created_at: now }).execute();
  const account = async (userName: string) => {
    const id = randomUUID();
    await insertAccount(db, tenantId, id, {
      user_name: userName, external_id: null, given_name: 'G', family_name: 'F', display_name: null, email: null, active: true, resource: {},
    }, now);
    return id;
  };
  const group = async (name: string) => {
    const id = randomUUID();
    await db.insertInto('groups').values({ tenant_id: tenantId, id, display_name: name, external_id: null, created_at: now, updated_at: now }).execute();
    return id;
  };
  return { db, tenantId, account, group };
}

tap.test('membership rows are added, removed and replaced by the ids named', async (t) => {
  const { db, tenantId, account, group } = await setup();
  const [a, b, c] = [await account('a@x'), await account('b@x'), await account('c@x')];
  const g = await group('Sales');
  t.same((await db.transaction().execute((trx) => addMembers(trx, tenantId, g, [a, b, b.toUpperCase()], now))).sort(), [a, b].sort());
  t.same(await db.transaction().execute((trx) => addMembers(trx, tenantId, g, [a], now)), [], 'already a member: nothing added');
  t.same((await listGroupMembers(db, tenantId, g)).map((m) => m.id).sort(), [a, b].sort());
  t.same(await db.transaction().execute((trx) => removeMembers(trx, tenantId, g, [a, c])), [a], 'only members are removed');
  const replaced = await db.transaction().execute((trx) => replaceMembers(trx, tenantId, g, [c], now));
  t.same(replaced, { added: [c], removed: [b] });
  t.same((await listGroupsOfAccount(db, tenantId, c)).map((x) => x.displayName), ['Sales']);
});

tap.test('accounts of another tenant or ids that are not uuids are reported missing and never added', async (t) => {
  const first = await setup();
  const second = await setup();
  const mine = await first.account('me@x');
  const theirs = await second.account('them@x');
  const g = await first.group('Ops');
  t.same(await findMissingAccounts(first.db, first.tenantId, [mine, theirs, 'not-a-uuid']), [theirs, 'not-a-uuid']);
  t.same(await first.db.transaction().execute((trx) => addMembers(trx, first.tenantId, g, [theirs], now)), []);
  t.same(await listGroupMembers(first.db, first.tenantId, g), []);
});

tap.test('removing an account from its groups bumps each group version', async (t) => {
  const { db, tenantId, account, group } = await setup();
  const a = await account('a@x');
  const [g1, g2] = [await group('One'), await group('Two')];
  await db.transaction().execute(async (trx) => {
    await addMembers(trx, tenantId, g1, [a], now);
    await addMembers(trx, tenantId, g2, [a], now);
  });
  const left = await db.transaction().execute((trx) => removeAccountFromGroups(trx, tenantId, a, now));
  t.same(left.sort(), [g1, g2].sort());
  const versions = await db.selectFrom('groups').select('version').where('tenant_id', '=', tenantId).execute();
  t.same(versions.map((v) => v.version), [2, 2]);
  t.same(await listGroupsOfAccount(db, tenantId, a), []);
});
