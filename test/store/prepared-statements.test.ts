import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type pg from 'pg';
import t from 'tap';
import { insertAccount, lockAccountById, updateAccount } from '../../src/store/accounts.js';
import { connectDatabase } from '../../src/store/connect.js';
import { PREPARED_MARK, prepareMarkedStatements, statementName } from '../../src/store/prepared-statements.js';
import { openTestDatabase, testDatabaseUrl } from '../helpers/database.js';

/** A stand-in client that records what reaches pg's own query(). */
function recordingClient(): { client: pg.ClientBase; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const client = { query: (...args: unknown[]) => calls.push(args) } as unknown as pg.ClientBase;
  prepareMarkedStatements(client);
  return { client, calls };
}

t.test('a marked statement is sent as a named statement, one stable name per text', async (t) => {
  const { client, calls } = recordingClient();
  const text = `select $1::int as n ${PREPARED_MARK}`;
  await client.query(text, [1]);
  await client.query(text, [2]);
  t.same(calls[0], [{ name: statementName(text), text, values: [1] }]);
  t.same(calls[1], [{ name: statementName(text), text, values: [2] }]);
  t.not(statementName(`select 2 ${PREPARED_MARK}`), statementName(text), 'another text gets another name');
});

t.test('an unmarked statement, or one without values, passes through untouched', async (t) => {
  const { client, calls } = recordingClient();
  await client.query('select $1::int', [1]);
  await client.query(`begin ${PREPARED_MARK}`);
  t.same(calls, [['select $1::int', [1]], [`begin ${PREPARED_MARK}`]]);
});

t.test("pg-pool's callback form keeps its callback after the named statement", async (t) => {
  const { client, calls } = recordingClient();
  const callback = () => undefined;
  const text = `select 3 ${PREPARED_MARK}`;
  (client.query as unknown as (...args: unknown[]) => void)(text, [], callback);
  t.same(calls[0], [{ name: statementName(text), text, values: [] }, callback]);
});

t.test('on PostgreSQL the hot account statements are prepared once per connection and answer as before', { skip: testDatabaseUrl() ? false : 'PostgreSQL only: PGlite has no named statements' }, async (t) => {
  const testDb = await openTestDatabase(t);
  // One connection, so the session that ran the statements is the one asked about them.
  const database = await connectDatabase({ databaseUrl: testDb.url, schema: testDb.schema, poolMax: 1 });
  t.teardown(() => database.close());
  const db = database.db;
  const tenantId = randomUUID();
  await db.insertInto('tenants').values({ id: tenantId, name: `prepared-${tenantId}`, created_at: new Date() }).execute();
  const values = (n: number) => ({
    user_name: `user${n}@contoso.com`, external_id: `ext-${n}`, given_name: 'Ada', family_name: `L${n}`, display_name: null, email: null, active: true,
    resource: { userName: `user${n}@contoso.com` },
  });
  const entry = { occurred_at: new Date(), client_id: 'c', request_id: 'r', operation: 'Create', http_status: 201, outcome: 'success' as const, scim_type: null, detail: null, changes: null, duration_ms: 1 };
  const created = [];
  for (let n = 1; n <= 3; n++) created.push(await insertAccount(db, tenantId, randomUUID(), values(n), new Date(), entry));
  t.same(created.map((r) => r?.user_name), ['user1@contoso.com', 'user2@contoso.com', 'user3@contoso.com']);
  t.equal(await insertAccount(db, tenantId, randomUUID(), values(1), new Date(), entry), undefined, 'a taken userName still writes nothing');
  const first = created[0];
  if (!first) throw new Error('no account');
  const updated = await db.transaction().execute(async (trx) => {
    const row = await lockAccountById(trx, tenantId, first.id);
    return updateAccount(trx, tenantId, first.id, { ...values(1), family_name: 'Changed' }, (row?.version ?? 0) + 1, new Date(), { ...entry, operation: 'Update', http_status: 200 });
  });
  t.equal(updated?.version, 2);

  const prepared = await sql<{ statement: string }>`
    select statement from pg_prepared_statements where statement like ${`%${PREPARED_MARK}`}`.execute(db);
  const statements = prepared.rows.map((r) => r.statement);
  t.equal(statements.filter((s) => s.startsWith('with inserted as')).length, 1, 'the create statement is prepared once, however often it ran');
  t.ok(statements.some((s) => s.includes('for update')), 'the row lock is prepared');
  t.ok(statements.some((s) => s.startsWith('with updated as')), 'the update is prepared');
  const entries = await db.selectFrom('provisioning_log').select(['operation']).where('tenant_id', '=', tenantId).orderBy('id').execute();
  t.same(entries.map((e) => e.operation), ['Create', 'Create', 'Create', 'Update'], 'each write wrote its entry, the refused one none');
});

t.test('with DATABASE_PREPARED_STATEMENTS=false nothing is prepared (a pooler that cannot carry them)', { skip: testDatabaseUrl() ? false : 'PostgreSQL only' }, async (t) => {
  const testDb = await openTestDatabase(t);
  const database = await connectDatabase({ databaseUrl: testDb.url, schema: testDb.schema, poolMax: 1, preparedStatements: false });
  t.teardown(() => database.close());
  const tenantId = randomUUID();
  await database.db.insertInto('tenants').values({ id: tenantId, name: `unprepared-${tenantId}`, created_at: new Date() }).execute();
  const row = await insertAccount(database.db, tenantId, randomUUID(), {
    user_name: 'ada@contoso.com', external_id: null, given_name: 'Ada', family_name: 'L', display_name: null, email: null, active: true, resource: {},
  }, new Date());
  t.equal(row?.user_name, 'ada@contoso.com');
  const prepared = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(database.db);
  t.equal(prepared.rows[0]?.n, 0);
});
