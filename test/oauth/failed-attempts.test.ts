import t from 'tap';
import { FailedAttempts } from '../../src/oauth/failed-attempts.js';

const START = 5_000_000;

t.test('failures past the limit in one window are over it, with the seconds left in the window', async (t) => {
  const failures = new FailedAttempts(3, 60_000);
  for (let i = 0; i < 3; i++) t.equal(failures.record('x\na', START).over, false);
  t.same(failures.record('x\na', START + 15_000), { over: true, retryAfterSeconds: 45 });
});

t.test('a new window starts counting from zero', async (t) => {
  const failures = new FailedAttempts(1, 60_000);
  failures.record('x\na', START);
  t.equal(failures.record('x\na', START + 1).over, true);
  t.equal(failures.record('x\na', START + 60_000).over, false);
});

t.test('each key counts apart: one address failing for a client does not count against another', async (t) => {
  const failures = new FailedAttempts(2, 60_000);
  for (let i = 0; i < 10; i++) failures.record('x\na', START);
  t.equal(failures.record('x\nb', START).over, false);
  t.equal(failures.record('y\na', START).over, false);
});

t.test('rotating client ids cannot grow memory past the capacity', async (t) => {
  const failures = new FailedAttempts(60, 60_000, 1000);
  for (let i = 0; i < 50_000; i++) failures.record(`client-${i}\na`, START);
  t.equal(failures.size, 1000);
});
