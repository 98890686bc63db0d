import { sql } from 'kysely';
import t from 'tap';
import { connectDatabase } from '../../src/store/connect.js';
import { schemaBehindProxy, testDatabaseUrl } from '../helpers/database.js';

const pgUrl = testDatabaseUrl();

// pg emits 'error' on a client that Kysely has checked out when its connection drops; with nobody listening,
// Node turns that into an uncaught exception and the service dies (seen in CI when the database went away).
t.test('a connection lost inside a transaction rejects that transaction and leaves the process running', { skip: pgUrl ? false : 'needs TEST_DATABASE_URL' }, async (t) => {
  const { proxy, url, schema } = await schemaBehindProxy(t, pgUrl ?? '', 'test_conn');
  const database = await connectDatabase({ databaseUrl: url, schema, connectTimeoutMs: 1000 });
  t.teardown(() => database.close());

  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  t.teardown(() => process.off('uncaughtException', onUncaught));

  // Two clients are checked out at the cut: one between statements, one waiting on a query.
  const between = database.db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx);
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sql`select 2`.execute(trx);
  });
  const waiting = sql`select pg_sleep(5)`.execute(database.db);
  await Promise.all([
    t.rejects(between, 'the transaction whose connection dropped fails'),
    t.rejects(waiting, 'the query in flight fails'),
  ]);
  t.same(uncaught, [], 'no uncaught exception');

  proxy.restore();
  const back = await sql<{ n: number }>`select 3 as n`.execute(database.db);
  t.equal(back.rows[0]?.n, 3, 'the pool serves queries again once the database is back');
});
