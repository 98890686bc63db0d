import { connect } from 'node:net';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

// Found by the hostile-input fuzz (npm run chaos): a body trickled a byte at a time kept its socket forever.
t.test('a request whose body trickles in slower than REQUEST_TIMEOUT_MS is cut off instead of holding its socket', async (t) => {
  const { app } = await buildTestApp(t, { env: { REQUEST_TIMEOUT_MS: '1000' } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const answer = await new Promise<{ text: string; cut: boolean }>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const drip = setInterval(() => socket.writable && socket.write('a'), 200);
    // A generous bound: the point is that it ends, not how fast.
    let cut = true;
    const giveUp = setTimeout(() => {
      cut = false;
      socket.destroy();
    }, 20_000);
    socket.on('connect', () => socket.write('POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\ngrant_type='));
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(giveUp);
      resolve({ text, cut });
    });
  });
  t.ok(answer.cut, 'the server closed the connection');
  // Node answers 408 when nothing of the response was started; once Fastify took the request it just closes.
  if (answer.text !== '') t.match(answer.text, /^HTTP\/1\.1 408 /, JSON.stringify(answer.text.slice(0, 300)));
});
