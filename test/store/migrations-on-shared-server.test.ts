import { randomBytes } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { connectDatabase } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { adminQuery, testDatabaseUrl } from '../helpers/database.js';

const pgUrl = testDatabaseUrl();

// Kysely's migrator lists every table of every schema on the server (has_schema_privilege by name), so a schema
// dropped by someone else mid-listing failed our migration with "schema … does not exist" (seen in CI, where each
// test file owns a schema and drops it when done). Migrations must not depend on what else lives on the server.
t.test('migrations succeed while other schemas on the server are created and dropped', { skip: pgUrl ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const url = pgUrl ?? '';
  const tag = randomBytes(3).toString('hex');
  let churning = true;
  const churn = (async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (let i = 0; churning; i++) {
        const name = `churn_${tag}_${i % 4}`;
        await client.query(`create schema if not exists ${name}; create table if not exists ${name}.t (x int)`);
        await client.query(`drop schema if exists ${name} cascade`);
      }
    } finally {
      for (let i = 0; i < 4; i++) await client.query(`drop schema if exists churn_${tag}_${i} cascade`);
      await client.end();
    }
  })();
  const results: string[] = [];
  try {
    for (let round = 0; round < 6; round++) {
      const schema = `test_migchurn_${tag}_${round}`;
      await adminQuery(url, `create schema ${schema}`);
      const database = await connectDatabase({ databaseUrl: url, schema, poolMax: 2 });
      try {
        await migrateToLatest(database.db);
        results.push('ok');
      } catch (err) {
        results.push((err as Error).message);
      } finally {
        await database.close();
        await adminQuery(url, `drop schema if exists ${schema} cascade`);
      }
    }
  } finally {
    churning = false;
    await churn;
  }
  t.same(results, Array(6).fill('ok'), 'every migration run succeeded');
});

t.test('introspection lists the current schema only, with columns, and hides the migrator tables unless asked', { skip: pgUrl ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const url = pgUrl ?? '';
  const schema = `test_introspect_${randomBytes(3).toString('hex')}`;
  await adminQuery(url, `create schema ${schema}`);
  t.teardown(() => adminQuery(url, `drop schema if exists ${schema} cascade`));
  const database = await connectDatabase({ databaseUrl: url, schema, poolMax: 2 });
  t.teardown(() => database.close());
  await migrateToLatest(database.db);

  const tables = await database.db.introspection.getTables();
  t.ok(tables.every((table) => table.schema === schema), 'nothing from other schemas');
  const accounts = tables.find((table) => table.name === 'accounts');
  t.same(accounts?.columns.slice(0, 2).map((c) => [c.name, c.dataType, c.isNullable]), [['tenant_id', 'uuid', false], ['id', 'uuid', false]]);
  t.notOk(tables.some((table) => table.name.startsWith('kysely_')), 'migrator tables hidden by default');
  const all = await database.db.introspection.getTables({ withInternalKyselyTables: true });
  t.ok(all.some((table) => table.name === 'kysely_migration'), 'and listed when asked');
});
