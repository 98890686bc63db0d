import t from 'tap';
import { toFailure } from '../../src/http/errors.js';
import { OAuthError, oauthErrorFamily } from '../../src/oauth/errors.js';

const render = (err: unknown) => oauthErrorFamily.render(toFailure(err));

t.test('a database outage under /oauth2 is 503 temporarily_unavailable with Retry-After, never cached', async (t) => {
  const e = render(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  t.equal(e.statusCode, 503);
  t.same(e.body(), { error: 'temporarily_unavailable', error_description: 'The database is unavailable; retry shortly.' });
  t.equal(e.headers['retry-after'], '5');
  t.equal(e.headers['cache-control'], 'no-store');
});

t.test('an unexpected error under /oauth2 is 500 server_error with nothing internal in it', async (t) => {
  const e = render(new TypeError('cannot read properties of undefined (reading "secret_hash")'));
  t.equal(e.statusCode, 500);
  t.equal((e.body() as { error: string }).error, 'server_error');
  t.notMatch(JSON.stringify(e.body()), /secret_hash|TypeError/);
});

t.test('an oversized body is 413 invalid_request', async (t) => {
  const e = render(Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }));
  t.equal(e.statusCode, 413);
  t.equal((e.body() as { error: string }).error, 'invalid_request');
});

t.test('an OAuthError carries its own code, status and no-store headers', async (t) => {
  const e = new OAuthError('invalid_scope', 'no');
  t.equal(e.statusCode, 400);
  t.same(e.body(), { error: 'invalid_scope', error_description: 'no' });
  t.same(e.headers, { 'cache-control': 'no-store', pragma: 'no-cache' });
  t.equal(new OAuthError('invalid_client', 'x').statusCode, 401);
});
