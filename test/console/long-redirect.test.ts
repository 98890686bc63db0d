import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

// Found by the fuzz run (issue 15): a 12,000-character console URL came back percent-encoded again in the
// sign-in redirect's Location, past the 16 KiB of headers an HTTP client reads.
t.test('a signed-out GET of a very long console URL redirects to sign-in without carrying it back', async (t) => {
  const testApp = await buildTestApp(t);
  const res = await testApp.app.inject({ method: 'GET', url: `/console/logs?userName=${'a%20'.repeat(4000)}` });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/console/sign-in?next=%2Fconsole');
  const short = await testApp.app.inject({ method: 'GET', url: '/console/logs?userName=a' });
  t.equal(short.headers.location, '/console/sign-in?next=%2Fconsole%2Flogs%3FuserName%3Da');
});
