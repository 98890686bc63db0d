import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startControlServer } from '../../src/control/server.js';
import { frame, SOCKET_FILE, TOKEN_FILE } from '../../src/control/protocol.js';
import { buildTestApp } from '../helpers/app.js';
import { chainOf } from '../helpers/audit.js';

/** Sends one `run` request over the control socket as the CLI does, and collects what comes back. */
function runOverSocket(dir: string, argv: string[], user: string): Promise<{ code: number; out: string[] }> {
  const token = readFileSync(join(dir, TOKEN_FILE), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    let pending = '';
    const socket = connect(join(dir, SOCKET_FILE), () => socket.write(frame({ type: 'run', token, argv, cwd: dir, errIsTty: false, user })));
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        const message = JSON.parse(pending.slice(0, nl)) as { type: string; line?: string; code?: number };
        pending = pending.slice(nl + 1);
        if (message.type === 'out' && message.line !== undefined) out.push(message.line);
        if (message.type === 'exit') resolve({ code: message.code ?? -1, out });
      }
    });
  });
}

t.test('a CLI command run by the service over its control socket is recorded as the CLI user, via the socket', async (t) => {
  const testApp = await buildTestApp(t);
  const dir = mkdtempSync(join(tmpdir(), 'pp-audit-control-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const control = await startControlServer(testApp.deps, dir);
  t.ok(control, 'the control socket is open');
  t.teardown(() => control?.close());
  const name = `Contoso ${Math.random().toString(36).slice(2, 8)}`;
  const run = await runOverSocket(dir, ['tenant', 'create', name, '--json'], 'dana');
  t.equal(run.code, 0);
  const id = String((JSON.parse(run.out.join('\n')) as { id: string }).id);
  t.match(await chainOf(testApp.deps.database.db, id), [
    { action: 'tenant.create', outcome: 'success', actor: { type: 'cli', id: 'dana', label: 'via the control socket' }, changes: { name: { old: null, new: name } } },
  ]);
});
