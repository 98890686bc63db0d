import t from 'tap';
import { TABLE_PLACEMENTS, type ClassifiedTable } from '../../src/store/distribution.js';
import { citusSchemaViolations, introspectSchema, type SchemaModel, type TableModel } from '../helpers/citus-schema-rules.js';
import { sharedTestDatabase } from '../helpers/database.js';

// Issue 18: the schema after every migration obeys Citus's rules under src/store/distribution.ts's classification.
t.test('after all migrations every table is classified and keeps the Citus rules of its placement', async (t) => {
  const testDb = await sharedTestDatabase();
  const model = await introspectSchema(testDb.database.db, testDb.schema ?? 'public');
  t.ok(model.tables.some((x) => x.name === 'accounts'), 'introspection found the migrated tables');
  t.same(citusSchemaViolations(model, TABLE_PLACEMENTS), [], 'no table breaks a rule');
});

// The checker itself, on a schema made up to break each rule once: a rule that cannot fail proves nothing.
const table = (name: string, parts: Partial<TableModel> = {}): TableModel => ({
  name,
  columns: [{ name: 'tenant_id', type: 'uuid', notNull: true, identity: false, serial: false }],
  uniqueIndexes: [],
  exclusionConstraints: [],
  foreignKeys: [],
  triggers: [],
  ...parts,
});
const placements: ClassifiedTable[] = [
  { table: 'tenants', placement: { kind: 'reference', reason: 'r' } },
  { table: 'a', placement: { kind: 'distributed' } },
  { table: 'b', placement: { kind: 'distributed' } },
  { table: 'sessions', placement: { kind: 'local', reason: 'r' } },
  { table: 'gone', placement: { kind: 'distributed' } },
];

t.test('the schema checker names the table and the rule each broken key breaks', async (t) => {
  const model: SchemaModel = {
    tables: [
      table('tenants', {
        columns: [{ name: 'id', type: 'uuid', notNull: true, identity: false, serial: false }],
        foreignKeys: [{ name: 'tenants_a_fkey', columns: ['id'], target: 'a', targetColumns: ['tenant_id'], definition: 'FOREIGN KEY (id) REFERENCES a(tenant_id)' }],
      }),
      table('a', {
        uniqueIndexes: [
          { name: 'a_pkey', columns: ['tenant_id', 'id'], definition: 'CREATE UNIQUE INDEX a_pkey ON a (tenant_id, id)' },
          { name: 'a_key_key', columns: ['key'], definition: 'CREATE UNIQUE INDEX a_key_key ON a (key)' },
        ],
        foreignKeys: [
          { name: 'a_b_fkey', columns: ['tenant_id', 'b_id'], target: 'b', targetColumns: ['tenant_id', 'id'], definition: 'FOREIGN KEY (tenant_id, b_id) REFERENCES b(tenant_id, id)' },
          { name: 'a_s_fkey', columns: ['s_id'], target: 'sessions', targetColumns: ['id'], definition: 'FOREIGN KEY (s_id) REFERENCES sessions(id)' },
        ],
        triggers: ['a_touch'],
      }),
      table('b', {
        columns: [
          { name: 'tenant_id', type: 'text', notNull: false, identity: false, serial: false },
          { name: 'id', type: 'integer', notNull: true, identity: true, serial: false },
        ],
        exclusionConstraints: [{ name: 'b_excl', columns: ['during'], definition: 'EXCLUDE USING gist (during WITH &&)' }],
        foreignKeys: [{ name: 'b_a_fkey', columns: ['a_id'], target: 'a', targetColumns: ['id'], definition: 'FOREIGN KEY (a_id) REFERENCES a(id)' }],
      }),
      table('sessions'),
      table('stray'),
    ],
  };
  const found = citusSchemaViolations(model, placements);
  const expect = [
    /^stray: not classified/,
    /^gone: classified .* but no such table/,
    /^a: unique index a_key_key does not include tenant_id/,
    /^a: trigger a_touch on a distributed table/,
    /^b: distribution column tenant_id must be NOT NULL/,
    /^b: exclusion constraint b_excl does not include tenant_id/,
    /^b: id is a integer identity/,
    /^distributed tables are not co-located: tenant_id has different types/,
    /^tenants: foreign key tenants_a_fkey .*: a reference table must not reference a distributed table/,
    /^a: foreign key a_b_fkey .*: b must come before a/,
    /^a: foreign key a_s_fkey .*: a distributed table must not reference a table local to the coordinator/,
    /^b: foreign key b_a_fkey .* does not match tenant_id to tenant_id/,
  ];
  for (const pattern of expect) t.ok(found.some((line) => pattern.test(line)), `reports ${pattern}`);
  t.equal(found.length, expect.length, `nothing else reported: ${found.join('\n')}`);
  t.notOk(found.some((line) => line.includes('a_pkey')), 'a key that includes tenant_id passes');
});
