import { decodeProtectedHeader } from 'jose';
import t from 'tap';
import { runCli } from '../../src/cli/run.js';
import type { Deps } from '../../src/deps.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';

interface Run {
  code: number;
  out: string[];
  err: string[];
  json(): Record<string, unknown>;
}

async function cli(deps: Deps, ...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => deps);
  return { code, out, err, json: () => JSON.parse(out.join('\n')) as Record<string, unknown> };
}

const unique = () => `msp-${Math.random().toString(36).slice(2, 10)}`;

async function tokenStatus(testApp: TestApp, clientId: string, clientSecret: string): Promise<number> {
  const res = await testApp.app.inject({
    method: 'POST',
    url: '/oauth2/token',
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  return res.statusCode;
}

t.test('CLI: tenants, clients, secret tokens, keys', async (t) => {
  const testApp = await buildTestApp(t);
  const deps = testApp.deps;

  t.test('tenant create --json prints exactly {id, name}', async (t) => {
    const name = unique();
    const run = await cli(deps, 'tenant', 'create', name, '--json');
    t.equal(run.code, 0);
    t.same(Object.keys(run.json()).sort(), ['id', 'name']);
    t.equal(run.json()['name'], name);
    t.match(run.json()['id'], /^[0-9a-f-]{36}$/);
  });

  t.test('tenant create refuses a name that differs only in case, exit 1', async (t) => {
    const name = unique();
    await cli(deps, 'tenant', 'create', name);
    const run = await cli(deps, 'tenant', 'create', name.toUpperCase());
    t.equal(run.code, 1);
    t.match(run.err.join('\n'), /already exists/);
  });

  t.test('tenant list shows a created tenant and tenant disable marks it disabled', async (t) => {
    const name = unique();
    const id = (await cli(deps, 'tenant', 'create', name, '--json')).json()['id'];
    t.equal((await cli(deps, 'tenant', 'disable', name)).code, 0);
    const list = (await cli(deps, 'tenant', 'list', '--json')).json()['tenants'] as Array<Record<string, unknown>>;
    t.match(list.find((x) => x['id'] === id), { name, status: 'disabled' });
  });

  t.test('client create --json prints exactly the four fields Entra needs, with URLs from PUBLIC_BASE_URL', async (t) => {
    const name = unique();
    await cli(deps, 'tenant', 'create', name);
    const run = await cli(deps, 'client', 'create', '--tenant', name, '--json');
    t.equal(run.code, 0);
    const body = run.json();
    t.same(Object.keys(body).sort(), ['client_id', 'client_secret', 'tenant_url', 'token_endpoint']);
    t.equal(body['tenant_url'], 'https://provisioning.test/scim/v2');
    t.equal(body['token_endpoint'], 'https://provisioning.test/oauth2/token');
    t.equal(await tokenStatus(testApp, String(body['client_id']), String(body['client_secret'])), 200, 'the printed credentials work');
  });

  t.test('client create accepts the tenant id as well as its name', async (t) => {
    const id = String((await cli(deps, 'tenant', 'create', unique(), '--json')).json()['id']);
    t.equal((await cli(deps, 'client', 'create', '--tenant', id, '--json')).code, 0);
  });

  t.test('client create for an unknown tenant fails clearly with exit 1', async (t) => {
    const run = await cli(deps, 'client', 'create', '--tenant', 'no-such-msp');
    t.equal(run.code, 1);
    t.match(run.err.join('\n'), /no tenant with id or name "no-such-msp"/);
    const json = await cli(deps, 'client', 'create', '--tenant', 'no-such-msp', '--json');
    t.match(json.json(), { error: /no tenant/ });
  });

  t.test('client create without --tenant is a usage error, exit 2', async (t) => {
    t.equal((await cli(deps, 'client', 'create')).code, 2);
    t.equal((await cli(deps, 'client', 'create', '--tenant')).code, 2, 'a flag without its value');
    t.equal((await cli(deps, 'client', 'create', '--tenantx', 'a')).code, 2, 'an unknown flag');
  });

  t.test('human output of client create says PUBLIC_BASE_URL must be set when it is not', async (t) => {
    const noBase = { ...deps, config: { ...deps.config, publicBaseUrl: undefined } };
    const name = unique();
    await cli(noBase, 'tenant', 'create', name);
    const run = await cli(noBase, 'client', 'create', '--tenant', name);
    t.equal(run.code, 0);
    t.match(run.out.join('\n'), /PUBLIC_BASE_URL is not set/);
    t.match(run.out.join('\n'), /Client Secret: +ppcs_/);
    const json = (await cli(noBase, 'client', 'create', '--tenant', name, '--json')).json();
    t.equal(json['tenant_url'], null);
  });

  t.test('client rotate --overlap 0 ends the old secret at once and prints a working new one', async (t) => {
    const name = unique();
    await cli(deps, 'tenant', 'create', name);
    const created = (await cli(deps, 'client', 'create', '--tenant', name, '--json')).json();
    const rotated = await cli(deps, 'client', 'rotate', String(created['client_id']), '--overlap', '0', '--json');
    t.equal(rotated.code, 0);
    t.equal(await tokenStatus(testApp, String(created['client_id']), String(created['client_secret'])), 401);
    t.equal(await tokenStatus(testApp, String(created['client_id']), String(rotated.json()['client_secret'])), 200);
  });

  t.test('client rotate keeps the old secret for the default 24h overlap', async (t) => {
    const name = unique();
    await cli(deps, 'tenant', 'create', name);
    const created = (await cli(deps, 'client', 'create', '--tenant', name, '--json')).json();
    const rotated = (await cli(deps, 'client', 'rotate', String(created['client_id']), '--json')).json();
    t.equal(rotated['old_secret_valid_until'], new Date(testApp.clock.now().getTime() + 86_400_000).toISOString());
    t.equal(await tokenStatus(testApp, String(created['client_id']), String(created['client_secret'])), 200);
  });

  t.test('client revoke stops the client and client list shows it revoked', async (t) => {
    const name = unique();
    await cli(deps, 'tenant', 'create', name);
    const created = (await cli(deps, 'client', 'create', '--tenant', name, '--json')).json();
    t.equal((await cli(deps, 'client', 'revoke', String(created['client_id']))).code, 0);
    t.equal(await tokenStatus(testApp, String(created['client_id']), String(created['client_secret'])), 401);
    const list = (await cli(deps, 'client', 'list', '--tenant', name, '--json')).json()['clients'] as Array<Record<string, unknown>>;
    t.match(list, [{ client_id: created['client_id'], status: 'revoked' }]);
  });

  t.test('client revoke of an unknown client fails clearly with exit 1', async (t) => {
    const run = await cli(deps, 'client', 'revoke', 'ppc_unknown');
    t.equal(run.code, 1);
    t.match(run.err.join('\n'), /no client "ppc_unknown"/);
  });

  t.test("client rotate refuses a client of another tenant named by --tenant", async (t) => {
    const a = unique();
    const b = unique();
    await cli(deps, 'tenant', 'create', a);
    await cli(deps, 'tenant', 'create', b);
    const created = (await cli(deps, 'client', 'create', '--tenant', a, '--json')).json();
    const run = await cli(deps, 'client', 'rotate', String(created['client_id']), '--tenant', b);
    t.equal(run.code, 1);
    t.match(run.err.join('\n'), /does not belong to tenant/);
  });

  t.test('token create --json prints exactly {token}; token list and revoke manage it', async (t) => {
    const name = unique();
    await cli(deps, 'tenant', 'create', name);
    const run = await cli(deps, 'token', 'create', '--tenant', name, '--json');
    t.equal(run.code, 0);
    t.same(Object.keys(run.json()), ['token']);
    t.match(run.json()['token'], /^ppst_[A-Za-z0-9_-]{43}$/);
    const list = (await cli(deps, 'token', 'list', '--tenant', name, '--json')).json()['tokens'] as Array<Record<string, unknown>>;
    t.equal(list.length, 1);
    t.equal((await cli(deps, 'token', 'revoke', String(list[0]?.['id']), '--tenant', name)).code, 0);
    const after = (await cli(deps, 'token', 'list', '--tenant', name, '--json')).json()['tokens'] as Array<Record<string, unknown>>;
    t.equal(after[0]?.['status'], 'revoked');
    t.equal((await cli(deps, 'token', 'revoke', String(list[0]?.['id']), '--tenant', name)).code, 1, 'a second revoke fails');
  });

  t.test('token create for an unknown tenant fails clearly with exit 1', async (t) => {
    const run = await cli(deps, 'token', 'create', '--tenant', '00000000-0000-4000-8000-000000000000');
    t.equal(run.code, 1);
    t.match(run.err.join('\n'), /no tenant/);
  });

  t.test('keys rotate makes a new active key that signs new tokens, and keys list shows both', async (t) => {
    const name = unique();
    await cli(deps, 'tenant', 'create', name);
    const created = (await cli(deps, 'client', 'create', '--tenant', name, '--json')).json();
    await tokenStatus(testApp, String(created['client_id']), String(created['client_secret']));
    const rotated = await cli(deps, 'keys', 'rotate', '--json');
    t.equal(rotated.code, 0);
    const newKid = rotated.json()['kid'];
    t.type(rotated.json()['retired_kid'], 'string');
    testApp.clock.advance(deps.config.credentialRecheckSeconds * 1000);
    const res = await testApp.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: String(created['client_id']), client_secret: String(created['client_secret']) }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    t.equal(decodeProtectedHeader(res.json().access_token).kid, newKid);
    const keys = (await cli(deps, 'keys', 'list', '--json')).json()['keys'] as Array<Record<string, unknown>>;
    t.match(keys, [{ kid: newKid, state: 'active', sealed: false }, { kid: rotated.json()['retired_kid'], state: 'published' }]);
  });

  t.test('with ENCRYPTION_KEY set, keys rotate stores the new private key sealed', async (t) => {
    const sealedApp = await buildTestApp(t, { env: { ENCRYPTION_KEY: 'a'.repeat(64) }, testDb: testApp.testDb });
    const run = await cli(sealedApp.deps, 'keys', 'rotate', '--json');
    const keys = (await cli(sealedApp.deps, 'keys', 'list', '--json')).json()['keys'] as Array<Record<string, unknown>>;
    t.match(keys[0], { kid: run.json()['kid'], state: 'active', sealed: true });
  });

  t.test('help lists the new command groups', async (t) => {
    const run = await cli(deps, '--help');
    for (const name of ['tenant', 'client', 'token', 'keys']) t.match(run.out.join('\n'), new RegExp(`\\n  ${name} `));
  });
});
