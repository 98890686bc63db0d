import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import t from 'tap';
import { compileFilter, parseFilter } from '../../src/scim/filter.js';
import { GROUP_FILTER_SCHEMA } from '../../src/scim/group-filter.js';
import { planGroupPatch } from '../../src/scim/group-patch.js';
import { ScimError } from '../../src/scim/errors.js';
import type { DB } from '../../src/store/tables.js';

// Compiles without a database, as test/scim/filter.test.ts does.
const db = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const body = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const ID = '0b6f1c9e-6d1f-4a57-9d36-7d2f3c1e9a10';

t.test("Entra's member PATCHes plan to steps naming only the ids they touch", async (t) => {
  t.same(planGroupPatch(body({ op: 'Add', path: 'members', value: [{ $ref: null, value: ID }] }), 1000), [{ kind: 'addMembers', ids: [ID] }]);
  t.same(planGroupPatch(body({ op: 'Remove', path: `members[value eq "${ID}"]` }), 1000), [{ kind: 'removeMembers', ids: [ID] }]);
  t.same(planGroupPatch(body({ op: 'Remove', path: 'members', value: [{ value: ID }] }), 1000), [{ kind: 'removeMembers', ids: [ID] }]);
  t.same(planGroupPatch(body({ op: 'Remove', path: 'members' }), 1000), [{ kind: 'removeAllMembers' }]);
  t.same(planGroupPatch(body({ op: 'Replace', value: { id: ID, displayName: 'New' } }), 1000), [{ kind: 'setDisplayName', value: 'New' }]);
  t.same(planGroupPatch(body({ op: 'remove', path: 'externalId' }), 1000), [{ kind: 'setExternalId', value: null }]);
});

t.test('member values count against the bound, one each', async (t) => {
  const values = Array.from({ length: 11 }, () => ({ value: ID }));
  t.throws(() => planGroupPatch(body({ op: 'add', path: 'members', value: values }), 10), ScimError);
  t.equal(planGroupPatch(body({ op: 'add', path: 'members', value: values.slice(1) }), 10).length, 1);
});

t.test('members[value eq] compiles to an EXISTS on the membership key, never a scan of a list', async (t) => {
  const compiled = compileFilter(parseFilter(`members[value eq "${ID}"] and displayName eq "Sales"`), GROUP_FILTER_SCHEMA);
  const { sql: text, parameters } = compiled.compile(db);
  t.match(text, /exists \(select 1 from group_members gm where gm\.tenant_id = groups\.tenant_id and gm\.group_id = groups\.id and \(gm\.account_id = cast\(\$1 as uuid\)\)\)/);
  t.match(text, /lower\("display_name"\) = lower\(\$2\)/);
  t.same(parameters, [ID, 'Sales']);
});
