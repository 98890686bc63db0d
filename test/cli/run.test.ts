import t from 'tap';
import { runCli } from '../../src/cli/run.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
};

t.test('--help lists the commands and exits 0', async (t) => {
  const c = capture();
  t.equal(await runCli(['--help'], c.io), 0);
  t.match(c.out.join('\n'), /usage: portal-provisioning <command>/);
  t.match(c.out.join('\n'), /migrate/);
});

t.test('an unknown command exits 2 and says which', async (t) => {
  const c = capture();
  t.equal(await runCli(['frobnicate'], c.io), 2);
  t.match(c.err.join('\n'), /unknown command "frobnicate"/);
});

t.test('no command prints the help and exits 2', async (t) => {
  const c = capture();
  t.equal(await runCli([], c.io), 2);
});
