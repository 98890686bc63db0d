import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import { buildTestApp } from '../helpers/app.js';
import { chainOf, cliAs, entriesFor, everyEntryAsText } from '../helpers/audit.js';
import { ConsoleBrowser, signInWithToken } from '../helpers/console.js';

/**
 * Credentials through their real front ends (CLI and console), and the secrets they create searched for in every
 * audit entry this file wrote: none may appear, not even hashed (the hashes are searched for too).
 */
const secrets: string[] = [];
const remember = (...values: string[]) => {
  for (const v of values) if (v) secrets.push(v);
};

t.test('credentials', async (t) => {
  const testApp = await buildTestApp(t);
  const { deps } = testApp;
  const db = deps.database.db;
  const tenant = (await cliAs(deps, 'alice', 'tenant', 'create', `Contoso ${Math.random().toString(36).slice(2, 8)}`, '--json')).json();
  const tenantId = String(tenant['id']);

  t.test('CLI: client create, rotate and revoke are recorded in the tenant chain, the secret never', async (t) => {
    const created = (await cliAs(deps, 'alice', 'client', 'create', '--tenant', tenantId, '--json')).json();
    const clientId = String(created['client_id']);
    remember(String(created['client_secret']));
    const rotated = await cliAs(deps, 'bob', 'client', 'rotate', clientId, '--overlap', '1h', '--json');
    t.equal(rotated.code, 0);
    remember(String(rotated.json()['client_secret']));
    t.equal((await cliAs(deps, 'bob', 'client', 'revoke', clientId)).code, 0);
    const again = await cliAs(deps, 'bob', 'client', 'revoke', clientId);
    t.equal(again.code, 1, 'revoking twice is refused');
    const entries = (await chainOf(db, tenantId)).filter((e) => e.target?.id === clientId);
    t.match(entries, [
      { action: 'oauth_client.create', outcome: 'success', actor: { type: 'cli', id: 'alice' }, target: { type: 'oauth_client', id: clientId }, changes: { status: { old: null, new: 'active' } } },
      { action: 'oauth_client.rotate_secret', outcome: 'success', actor: { id: 'bob' }, detail: { oldSecretsValidUntil: String } },
      { action: 'oauth_client.revoke', outcome: 'success', changes: { status: { old: 'active', new: 'revoked' } } },
      { action: 'oauth_client.revoke', outcome: 'failure', detail: { reason: /already revoked/ } },
    ]);
    t.equal(entries.length, 4);
  });

  t.test('CLI: secret token create and revoke; revoking an unknown one writes a failure', async (t) => {
    const created = await cliAs(deps, 'alice', 'token', 'create', '--tenant', tenantId, '--json');
    const token = String(created.json()['token']);
    remember(token);
    const listed = (await cliAs(deps, 'alice', 'token', 'list', '--tenant', tenantId, '--json')).json()['tokens'] as Array<{ id: string }>;
    const id = listed[0]?.id ?? '';
    t.equal((await cliAs(deps, 'alice', 'token', 'revoke', id, '--tenant', tenantId)).code, 0);
    // A secret token pasted where its id belongs: refused, and the token is not what gets recorded.
    t.equal((await cliAs(deps, 'alice', 'token', 'revoke', token, '--tenant', tenantId)).code, 1);
    t.match(await entriesFor(db, 'secret_token.create', id), [{ tenantId, actor: { id: 'alice' }, target: { type: 'secret_token', id } }]);
    t.match(await entriesFor(db, 'secret_token.revoke', id), [{ tenantId, outcome: 'success', changes: { status: { old: 'active', new: 'revoked' } } }]);
    t.match(await entriesFor(db, 'secret_token.revoke', '(not an id)'), [{ tenantId, outcome: 'failure' }]);
  });

  t.test('console: an admin creates, rotates and revokes a client and a secret token; each is recorded with the session actor', async (t) => {
    const admin = (await cliAs(deps, 'alice', 'admin-token', 'create', '--tenant', tenantId, '--label', 'msp admin', '--json')).json();
    remember(String(admin['token']));
    const adminId = String(admin['id']);
    const browser = new ConsoleBrowser(testApp.app);
    await signInWithToken(browser, String(admin['token']));
    await browser.get('/console/credentials');
    const shown = (body: string) => [...body.matchAll(/id="shown-\d">([^<]+)</g)].map((m) => m[1] ?? '');
    const created = await browser.post('/console/credentials/clients');
    t.equal(created.statusCode, 200);
    const [, , clientId = '', secret = ''] = shown(created.body);
    remember(secret);
    await browser.get('/console/credentials');
    const rotated = await browser.post('/console/credentials/clients/rotate', { clientId, overlap: 'now' });
    remember(shown(rotated.body)[3] ?? '');
    await browser.get('/console/credentials');
    t.equal((await browser.post('/console/credentials/clients/revoke', { clientId })).statusCode, 303);
    await browser.get('/console/credentials');
    const token = await browser.post('/console/credentials/tokens');
    remember(shown(token.body)[1] ?? '');
    const actor = { type: 'console', id: adminId, sourceIp: '127.0.0.1', userAgent: 'lightMyRequest' };
    t.match(await entriesFor(db, 'oauth_client.create', clientId), [{ tenantId, actor }]);
    t.match(await entriesFor(db, 'oauth_client.rotate_secret', clientId), [{ tenantId, actor }]);
    t.match(await entriesFor(db, 'oauth_client.revoke', clientId), [{ tenantId, actor, outcome: 'success' }]);
    t.match((await entriesFor(db, 'secret_token.create')).at(-1), { tenantId, actor });
  });

  t.test("tenant isolation: a tenant's admin naming another tenant's client writes only into its own chain", async (t) => {
    const other = String((await cliAs(deps, 'root', 'tenant', 'create', `Fabrikam ${Math.random().toString(36).slice(2, 8)}`, '--json')).json()['id']);
    const victim = (await cliAs(deps, 'root', 'client', 'create', '--tenant', other, '--json')).json();
    remember(String(victim['client_secret']));
    const otherChain = await chainOf(db, other);
    const admin = (await cliAs(deps, 'alice', 'admin-token', 'create', '--tenant', tenantId, '--json')).json();
    remember(String(admin['token']));
    const browser = new ConsoleBrowser(testApp.app);
    await signInWithToken(browser, String(admin['token']));
    await browser.get('/console/credentials');
    t.equal((await browser.post('/console/credentials/clients/revoke', { clientId: String(victim['client_id']) })).statusCode, 404);
    t.same(await chainOf(db, other), otherChain, "the other tenant's chain is untouched");
    t.match((await chainOf(db, tenantId)).at(-1), { tenantId, action: 'oauth_client.revoke', outcome: 'failure', target: { id: victim['client_id'] } });
  });

  t.test('console: a viewer trying to create a client is refused, recorded, and nothing is created', async (t) => {
    const viewer = (await cliAs(deps, 'alice', 'admin-token', 'create', '--tenant', tenantId, '--role', 'viewer', '--json')).json();
    remember(String(viewer['token']));
    const browser = new ConsoleBrowser(testApp.app);
    await signInWithToken(browser, String(viewer['token']));
    await browser.get('/console/logs');
    const before = (await entriesFor(db, 'oauth_client.create')).length;
    t.equal((await browser.post('/console/credentials/clients')).statusCode, 403);
    t.equal((await entriesFor(db, 'oauth_client.create')).length, before);
    t.match((await chainOf(db, tenantId)).at(-1), { action: 'console.change', outcome: 'refused', actor: { type: 'console', id: String(viewer['id']) }, detail: { reason: 'viewer role', route: '/console/credentials/clients' } });
  });

  t.test('CLI: admin tokens created and revoked are recorded in their tenant or the service chain; revoking twice fails', async (t) => {
    const serviceWide = (await cliAs(deps, 'root', 'admin-token', 'create', '--role', 'viewer', '--label', 'auditor', '--json')).json();
    remember(String(serviceWide['token']));
    const id = String(serviceWide['id']);
    t.equal((await cliAs(deps, 'root', 'admin-token', 'revoke', id)).code, 0);
    t.equal((await cliAs(deps, 'root', 'admin-token', 'revoke', id)).code, 1);
    t.match(await entriesFor(db, 'admin_token.create', id), [{ tenantId: SERVICE_WIDE, actor: { type: 'cli', id: 'root' }, changes: { role: { old: null, new: 'viewer' }, label: { old: null, new: 'auditor' } } }]);
    t.match(await entriesFor(db, 'admin_token.revoke', id), [
      { tenantId: SERVICE_WIDE, outcome: 'success', changes: { revoked: { old: false, new: true } } },
      { tenantId: SERVICE_WIDE, outcome: 'failure', detail: { reason: 'already revoked' } },
    ]);
    const unknownTenant = await cliAs(deps, 'root', 'admin-token', 'create', '--tenant', 'nobody-by-this-name');
    t.equal(unknownTenant.code, 1);
    t.match((await entriesFor(db, 'admin_token.create')).filter((e) => e.outcome === 'failure'), [{ tenantId: SERVICE_WIDE, actor: { id: 'root' }, detail: { reason: /nobody-by-this-name/ } }]);
  });

  t.test('CLI: keys rotate records the new and the retired key id in the service chain', async (t) => {
    const first = (await cliAs(deps, 'root', 'keys', 'rotate', '--json')).json();
    const second = (await cliAs(deps, 'root', 'keys', 'rotate', '--json')).json();
    t.match(await entriesFor(db, 'signing_key.rotate', String(second['kid'])), [
      { tenantId: SERVICE_WIDE, actor: { type: 'cli', id: 'root' }, target: { type: 'signing_key', id: second['kid'] }, changes: { activeKid: { old: first['kid'], new: second['kid'] } }, detail: { retiredPublishedUntil: String } },
    ]);
  });

  t.test('no secret created in this file appears in any audit entry, nor its stored hash', async (t) => {
    const rows = await everyEntryAsText(db);
    t.ok(rows.length >= 15, `${rows.length} entries searched`);
    t.ok(secrets.length >= 8, `${secrets.length} secrets searched for`);
    const { rows: hashes } = await import('kysely').then(({ sql }) =>
      sql<{ h: string }>`select secret_hash as h from oauth_client_secrets union all select token_hash from secret_tokens union all select token_hash from admin_tokens`.execute(db),
    );
    const needles = [...secrets, ...hashes.map((r) => r.h)];
    const found = needles.filter((needle) => rows.some((row) => row.includes(needle)));
    t.same(found, [], 'none found');
  });
});
