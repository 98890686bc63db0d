import t from 'tap';
import { runCli } from '../../src/cli/run.js';
import { terminalSafe } from '../../src/cli/terminal-text.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { seedEntry } from '../helpers/provisioning-log.js';
import { createTestTenant } from '../helpers/tenants.js';

// What a hostile Entra tenant can put in a userName or an error detail: an OSC window-title change, clear
// screen, a C1 CSI (U+009B), a carriage return that overprints, a forged line, DEL and a bidi override.
const HOSTILE_USER = 'eve\u001b]0;owned\u0007\u001b[2J@contoso.com';
const HOSTILE_DETAIL = 'bad\u009b31mred\rOK\n2026-01-01 fake line\u007f\u202egnp.exe';
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

async function cli(testApp: TestApp, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => testApp.deps);
  return { code, out, err };
}

async function fixture(t: { teardown(fn: () => unknown): void }) {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  await seedEntry(testApp.deps.database.db, tenant.tenantId, { occurredAt: '2026-01-10T09:00:00Z', userName: HOSTILE_USER, outcome: 'failure', detail: HOSTILE_DETAIL });
  return { testApp, tenant };
}

t.test('logs search shows control characters in userName and detail as visible escapes', async (t) => {
  const { testApp, tenant } = await fixture(t);
  const res = await cli(testApp, 'logs', 'search', '--tenant', tenant.tenantId);
  t.equal(res.code, 0);
  t.equal(res.out.length, 2, 'a header and one entry: the newline in the detail forges no line');
  for (const line of res.out) t.notMatch(line, CONTROL);
  t.match(res.out[1], 'eve\\x1B]0;owned\\x07\\x1B[2J@contoso.com');
  t.match(res.out[1], 'bad\\x9B31mred\\x0DOK\\x0A2026-01-01 fake line\\x7F\\u202Egnp.exe');
});

t.test('logs tail shows control characters as visible escapes', async (t) => {
  const { testApp, tenant } = await fixture(t);
  const res = await cli(testApp, 'logs', 'tail', '--tenant', tenant.tenantId, '--from', '2026-01-10T00:00:00Z', '--once');
  t.equal(res.code, 0);
  t.equal(res.out.length, 2);
  for (const line of res.out) t.notMatch(line, CONTROL);
  t.match(res.out[1], 'eve\\x1B]0;owned\\x07');
});

t.test('--json output keeps userName and detail exactly as stored', async (t) => {
  const { testApp, tenant } = await fixture(t);
  const search = await cli(testApp, 'logs', 'search', '--tenant', tenant.tenantId, '--json');
  const page = JSON.parse(search.out.join('')) as { entries: Array<{ target: { userName: string }; detail: string }> };
  t.equal(page.entries[0]?.target.userName, HOSTILE_USER);
  t.equal(page.entries[0]?.detail, HOSTILE_DETAIL);
  const tail = await cli(testApp, 'logs', 'tail', '--tenant', tenant.tenantId, '--from', '2026-01-10T00:00:00Z', '--once', '--json');
  t.equal((JSON.parse(tail.out[0] ?? '{}') as { detail: string }).detail, HOSTILE_DETAIL);
});

t.test('error output is terminal-safe too, and help still prints line by line', async (t) => {
  const testApp = await buildTestApp(t);
  const res = await cli(testApp, 'no\u001b[31msuch');
  t.equal(res.code, 2);
  t.equal(res.err[0], 'unknown command "no\\x1B[31msuch"');
  t.ok(res.err.length > 3, 'the help text follows, one line per call');
  for (const line of res.err) t.notMatch(line, CONTROL);
});

t.test('terminalSafe leaves printable text, including non-ASCII letters, as it is', async (t) => {
  t.equal(terminalSafe('Zoë Ångström <zoe@contoso.com> 日本'), 'Zoë Ångström <zoe@contoso.com> 日本');
  t.equal(terminalSafe('\u0000\u001b\u0085\u2066'), '\\x00\\x1B\\x85\\u2066');
});
