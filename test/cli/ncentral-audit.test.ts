import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../src/cli/run.js';
import { insertPortalClients } from '../../src/store/portal-clients.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestTenant } from '../helpers/tenants.js';
import { startFakeNcentral } from '../fakes/ncentral.js';
import { auditEntries } from '../ncentral/audit-entries.js';
import { acmeEstate, FAKE_ENV } from '../ncentral/fake-app.js';

/** Issue 19 through the CLI: each ncentral command that changes something is an entry by `cli` and the OS user. */
t.test('the CLI records each N-central change as the OS user who ran it, and its refusals', async (t) => {
  const fake = await startFakeNcentral({ estate: acmeEstate() });
  t.teardown(() => fake.close());
  const testApp = await buildTestApp(t, { env: FAKE_ENV });
  const db = testApp.deps.database.db;
  const { tenantId: T } = await createTestTenant(testApp);
  const dir = mkdtempSync(join(tmpdir(), 'ncentral-cli-audit-'));
  writeFileSync(join(dir, 'token'), `${fake.userApiToken}\n`);
  writeFileSync(join(dir, 'ca.pem'), fake.caPem);
  const cli = async (...argv: string[]) => runCli(['ncentral', ...argv, '--json'], { out: () => undefined, err: () => undefined }, async () => testApp.deps);

  t.equal(await cli('connect', '--tenant', T, '--url', fake.url, '--token-file', join(dir, 'token'), '--ca-file', join(dir, 'ca.pem'), '--sync-time', '19:00'), 0);
  t.equal(await cli('verify', '--tenant', T), 0);
  const units = await db.selectFrom('ncentral_org_units').select(['org_unit_id', 'name']).where('tenant_id', '=', T).execute();
  const idOf = (name: string) => units.find((u) => u.name.trim() === name)?.org_unit_id ?? '';
  const client = crypto.randomUUID();
  await insertPortalClients(db, T, [{ id: client, name: 'Initech Ltd', source: 'manual', externalId: null, at: new Date() }]);
  t.equal(await cli('exclude', '--tenant', T, '--customer', idOf('GLOBEX')), 0);
  t.equal(await cli('exclude', '--tenant', T, '--customer', idOf('GLOBEX'), '--undo'), 0);
  t.equal(await cli('match', '--tenant', T, '--customer', idOf('Initech'), '--client', client), 0);
  t.equal(await cli('match', '--tenant', T, '--customer', idOf('Acme Corp'), '--client', crypto.randomUUID()), 1, 'an unknown client is refused');
  t.equal(await cli('create', '--tenant', T, '--customer', idOf('Acme Corp')), 0);
  t.equal(await cli('auto-match', '--tenant', T), 0);
  t.equal(await cli('create-unmatched', '--tenant', T), 0);
  t.equal(await cli('finish', '--tenant', T, '--wait'), 0);
  t.equal(await cli('sync', '--tenant', T, '--wait'), 0);

  const entries = await auditEntries(db, T);
  const me = userInfo().username;
  t.ok(entries.every((e) => e.actor.type === 'cli' && e.actor.id === me), 'every entry names the CLI and the OS user');
  t.same(
    entries.map((e) => [e.action, e.outcome, e.target?.type]),
    [
      ['ncentral.connection.create', 'success', 'ncentral_connection'],
      ['ncentral.verify', 'success', 'ncentral_connection'],
      ['ncentral.exclude', 'success', 'ncentral_customer'],
      ['ncentral.unexclude', 'success', 'ncentral_customer'],
      ['ncentral.match', 'success', 'ncentral_customer'],
      ['ncentral.match', 'failure', 'ncentral_customer'],
      ['ncentral.create', 'success', 'ncentral_customer'],
      ['ncentral.auto_match', 'success', 'ncentral_connection'],
      ['ncentral.create_unmatched', 'success', 'ncentral_connection'],
      ['ncentral.create', 'success', 'ncentral_customer'],
      ['ncentral.finish', 'success', 'ncentral_connection'],
      ['ncentral.sync', 'success', 'ncentral_sync_run'],
      ['ncentral.sync', 'success', 'ncentral_sync_run'],
    ],
  );
  t.match(entries[0]?.changes, { syncTime: { old: null, new: '19:00' }, url: { new: fake.url } });
  t.match(entries[4], { target: { id: idOf('Initech') }, changes: { state: { old: 'unmatched', new: 'matched' }, portalClientId: { old: null, new: client } } });
  t.match(entries[5], { detail: { reason: 'notFound' } });
  t.same(entries.slice(-2).map((e) => e.detail?.['trigger']), ['finish', 'manual']);
  t.notOk(JSON.stringify(entries).includes(fake.userApiToken), 'the N-central token is in no entry');
});
