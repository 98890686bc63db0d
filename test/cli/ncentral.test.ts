import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { runCli } from '../../src/cli/run.js';
import { progressLine } from '../../src/cli/progress.js';
import { insertPortalClients } from '../../src/store/portal-clients.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestTenant } from '../helpers/tenants.js';
import { startFakeNcentral, type FakeNcentral } from '../fakes/ncentral.js';
import { acmeEstate, FAKE_ENV } from '../ncentral/fake-app.js';

async function setup(t: Test) {
  const fake = await startFakeNcentral({ estate: acmeEstate() });
  t.teardown(() => fake.close());
  const testApp = await buildTestApp(t, { env: FAKE_ENV });
  const { tenantId } = await createTestTenant(testApp);
  const dir = mkdtempSync(join(tmpdir(), 'ncentral-cli-'));
  writeFileSync(join(dir, 'token'), `${fake.userApiToken}\n`);
  writeFileSync(join(dir, 'ca.pem'), fake.caPem);
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['ncentral', ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => testApp.deps);
    return { code, out, err, json: () => JSON.parse(out.join('\n')) as Record<string, unknown> };
  };
  return { fake, testApp, tenantId, dir, cli };
}

const connectArgs = (s: { tenantId: string; fake: FakeNcentral; dir: string }) => [
  'connect', '--tenant', s.tenantId, '--url', s.fake.url, '--token-file', join(s.dir, 'token'), '--ca-file', join(s.dir, 'ca.pem'),
];

t.test('the scripted path: connect, verify, auto-match, create-unmatched, preview, finish, sync', async (t) => {
  const s = await setup(t);
  const T = s.tenantId;
  const c = await s.cli(...connectArgs(s), '--assets-under-parent', 'on', '--ignore-sync-requirements', 'off', '--json');
  t.equal(c.code, 0, c.err.join('\n'));
  t.equal(c.json()['assetsUnderParent'], true);
  t.notOk(c.out.join('').includes(s.fake.userApiToken));
  const v = await s.cli('verify', '--tenant', T, '--json');
  t.equal(v.code, 0);
  t.equal(v.json()['ok'], true);
  await insertPortalClients(s.testApp.deps.database.db, T, [{ id: crypto.randomUUID(), name: 'ACME CORP', source: 'manual', externalId: null, at: new Date() }]);
  t.equal((await s.cli('auto-match', '--tenant', T, '--json')).json()['matched'], 1);
  t.equal((await s.cli('create-unmatched', '--tenant', T, '--json')).json()['toCreate'], 2);
  const p = await s.cli('preview', '--tenant', T, '--json');
  t.same(p.json(), { create: 2, match: 1, exclude: 0, unmatched: 0, devices: 6 });
  const f = await s.cli('finish', '--tenant', T, '--wait', '--json');
  t.equal(f.code, 0);
  t.equal(f.out.length, 1, 'one JSON object on stdout');
  t.match(f.json(), { status: 'succeeded', created: 6, updated: 0, unchanged: 0, removed: 0 });
  t.ok(f.err.length > 0, 'progress lines on stderr when not a terminal');
  const again = await s.cli('sync', '--tenant', T, '--wait', '--json');
  t.match(again.json(), { status: 'succeeded', created: 0, updated: 0, unchanged: 6, removed: 0 });
  const runs = await s.cli('runs', '--tenant', T, '--json');
  t.equal((runs.json()['items'] as unknown[]).length, 2);
});

t.test('a failed verify exits non-zero and names the problem', async (t) => {
  const s = await setup(t);
  await s.cli(...connectArgs(s));
  s.fake.rotateUserApiToken();
  const v = await s.cli('verify', '--tenant', s.tenantId);
  t.equal(v.code, 1);
  t.match(v.out.join('\n'), /verify failed/);
});

t.test('a failed run exits non-zero', async (t) => {
  const s = await setup(t);
  await s.cli(...connectArgs(s));
  await s.cli('verify', '--tenant', s.tenantId);
  await s.cli('create-unmatched', '--tenant', s.tenantId);
  s.fake.rotateUserApiToken();
  const f = await s.cli('finish', '--tenant', s.tenantId, '--wait', '--json');
  t.equal(f.code, 1);
  t.equal(f.json()['status'], 'failed');
});

t.test('on/off options refuse anything else', async (t) => {
  const s = await setup(t);
  const c = await s.cli(...connectArgs(s), '--device-sync', 'yes');
  t.equal(c.code, 2);
});

t.test('the progress line shows a bar once the device total is known', async (t) => {
  const line = progressLine({ phase: 'devices', devicesTotal: 200, devices_seen: 50, created: 50, linked: 0, updated: 0, unchanged: 0, removed: 0, skipped: 0, clients_created: 0, pages: 1, retries: 2 }, 10);
  t.match(line, /^\[###-------\]  25% 50\/200 devices/);
});
