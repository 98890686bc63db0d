import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/store/tables.js';
import t from 'tap';
import { runCli } from '../../src/cli/run.js';
import { buildTestApp } from '../helpers/app.js';

/** Every row of every table of ours, as text: `select t::text from t` renders each column. */
async function everyRowAsText(db: Kysely<DB>): Promise<string> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  const dumps: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`select ${sql.table(table_name)}::text as row from ${sql.table(table_name)}`.execute(db);
    dumps.push(`${table_name}: ${rows.rows.map((r) => r.row).join('\n')}`);
  }
  return dumps.join('\n');
}

t.test('secrets appear in no log line and in no database column in clear', async (t) => {
  const testApp = await buildTestApp(t, { env: { ENCRYPTION_KEY: 'b'.repeat(64) } });
  const db = testApp.deps.database.db;
  const out: string[] = [];
  const cli = async (...argv: string[]) => {
    out.length = 0;
    const code = await runCli(argv, { out: (l) => out.push(l), err: () => undefined }, async () => testApp.deps);
    t.equal(code, 0, argv.join(' '));
    return JSON.parse(out.join('\n')) as Record<string, string>;
  };
  const tenant = await cli('tenant', 'create', 'secret-msp', '--json');
  const client = await cli('client', 'create', '--tenant', tenant['id'] ?? '', '--json');
  const rotated = await cli('client', 'rotate', client['client_id'] ?? '', '--json');
  const secretToken = (await cli('token', 'create', '--tenant', 'secret-msp', '--json'))['token'] ?? '';
  const clientSecret = client['client_secret'] ?? '';
  const rotatedSecret = rotated['client_secret'] ?? '';

  // Use every credential through the HTTP edge, successfully and not, with both client-auth methods.
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const post = await testApp.app.inject({
    method: 'POST', url: '/oauth2/token', headers: form,
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client['client_id'] ?? '', client_secret: clientSecret }).toString(),
  });
  t.equal(post.statusCode, 200);
  const accessToken = post.json().access_token as string;
  const basic = await testApp.app.inject({
    method: 'POST', url: '/oauth2/token', headers: { ...form, authorization: `Basic ${Buffer.from(`${client['client_id']}:${rotatedSecret}`).toString('base64')}` },
    payload: 'grant_type=client_credentials',
  });
  t.equal(basic.statusCode, 200);
  const wrong = await testApp.app.inject({
    method: 'POST', url: '/oauth2/token', headers: form,
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client['client_id'] ?? '', client_secret: `${clientSecret}x` }).toString(),
  });
  t.equal(wrong.statusCode, 401);
  for (const bearer of [accessToken, secretToken]) {
    await testApp.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: `Bearer ${bearer}` } });
  }
  await testApp.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: `Bearer ${secretToken}x` } });

  const logs = testApp.logLines.join('\n');
  const rows = await everyRowAsText(db);
  t.ok(testApp.logLines.length > 5, 'the app did log');
  t.match(rows, /sha256:/, 'the tables hold digests');
  for (const [label, secret] of Object.entries({ clientSecret, rotatedSecret, secretToken, accessToken })) {
    // The random part alone, so a secret logged or stored without its prefix is caught too.
    // A JWT's random part is its signature; our secrets are `prefix_random` (base64url may itself contain `_`).
    const parts = secret.split('.');
    const core = parts.length === 3 ? (parts[2] ?? secret) : secret.slice(secret.indexOf('_') + 1);
    t.ok(core.length >= 40, `${label} is a real secret`);
    t.notOk(logs.includes(core), `${label} is in no log line`);
    t.notOk(rows.includes(core), `${label} is in no database column`);
  }
  // The signing key's private part ("d") is sealed, so it never appears in clear either.
  t.notMatch(rows, /"d":/, 'no private JWK in clear');
});
