/**
 * What an N-central answer means: status and body → the parsed JSON, or the NcentralError it stands for
 * (../shared/ncentral-api.md §7). Pure. Messages are our own words with the endpoint and HTTP status: nothing of
 * the server's body is echoed, since a tenant chooses the server and reads the message (issue 15). The body is
 * only read to recognise known failures; the caller's scrubber still guards against tokens.
 */
import { NcentralError } from './client-error.js';
import { isObject } from './wire.js';

export interface RawAnswer {
  status: number;
  body: string;
}

/** What the failed request was authenticated with: it decides how a 401 is explained. */
export type Credential = 'none' | 'accessToken' | 'userApiToken';

export type Interpreted = { ok: true; body: unknown } | { ok: false; error: NcentralError };

/** The 90-day API-user password expiry (§2): every call fails with this inside a 500. */
const PASSWORD_EXPIRED = /Unable to validate UI session/i;

export function interpretAnswer(answer: RawAnswer, call: { endpoint: string; credential: Credential }, scrub: (text: string) => string): Interpreted {
  const { endpoint } = call;
  const status = answer.status;
  const parsed = parseJson(answer.body);
  const rawMessage = messageOf(parsed.value) ?? (parsed.ok ? null : answer.body.slice(0, 200));
  const serverMessage = rawMessage === null ? null : scrub(rawMessage);
  const fail = (kind: NcentralError['kind'], message: string, retryable?: boolean): Interpreted => ({
    ok: false,
    error: new NcentralError(kind, message, { status, endpoint, ...(retryable === undefined ? {} : { retryable }) }),
  });
  if (serverMessage !== null && PASSWORD_EXPIRED.test(serverMessage)) {
    return fail('passwordExpired', "N-central refused the API user's session: its password has expired (every 90 days). Reset the API user's password in N-central and generate a new User-API token.", false);
  }
  if (status >= 200 && status < 300) {
    if (!parsed.ok) return fail('badResponse', `N-central answered ${endpoint} with something other than JSON.`, false);
    const inline = isObject(parsed.value) ? parsed.value['error message'] : undefined;
    if (typeof inline === 'string') {
      // Some endpoints report failures inside a 200 body (§7).
      return fail('server', `N-central reported an error inside its answer on ${endpoint}.`, false);
    }
    return { ok: true, body: parsed.value };
  }
  if (status === 401) {
    if (call.credential === 'userApiToken') return fail('auth', 'N-central refused the User-API token (HTTP 401). Generate a new token for the API user and save it again.');
    if (call.credential === 'none') return fail('auth', `N-central asked for authentication on ${endpoint} (HTTP 401).`);
    return fail('auth', `N-central refused the access token on ${endpoint} even after renewing it (HTTP 401).`);
  }
  if (status === 403) return fail('forbidden', `The N-central API user may not use ${endpoint} (HTTP 403). Check its role and access group.`);
  if (status === 404) return fail('notFound', `N-central has no ${endpoint} for that request (HTTP 404).`);
  if (status === 429) return fail('rateLimited', `N-central kept answering 429 (too many calls) on ${endpoint}.`);
  if (status >= 500) return fail('server', `N-central answered HTTP ${status} on ${endpoint}.`);
  return fail('badResponse', `N-central answered HTTP ${status} on ${endpoint}.`, false);
}

/** Every known secret, and anything else shaped like a JWT, replaced by "[redacted]". */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret.length >= 8) clean = clean.split(secret).join('[redacted]');
  }
  return clean.replace(/eyJ[\w-]{4,}\.[\w-]+\.[\w-]*/g, '[redacted]');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; value: null } {
  if (text.trim() === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, value: null };
  }
}

function messageOf(body: unknown): string | null {
  if (!isObject(body)) return null;
  for (const key of ['message', 'error message', 'errorMessage', 'error']) {
    const value = body[key];
    if (typeof value === 'string' && value !== '') return value.slice(0, 300);
  }
  return null;
}
