/**
 * What an N-central answer means: status and body → the parsed JSON, or the NcentralError it stands for
 * (../shared/ncentral-api.md §7). Pure; the caller passes a scrubber so that no token the server echoes back
 * can reach a message.
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
  const said = serverMessage === null ? '' : ` (N-central said: ${serverMessage})`;
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
      return fail('server', `N-central reported an error on ${endpoint}: ${scrub(inline.slice(0, 200))}.`, false);
    }
    return { ok: true, body: parsed.value };
  }
  if (status === 401) {
    if (call.credential === 'userApiToken') return fail('auth', `N-central refused the User-API token${said}. Generate a new token for the API user and save it again.`);
    if (call.credential === 'none') return fail('auth', `N-central asked for authentication on ${endpoint}${said}.`);
    return fail('auth', `N-central refused the access token on ${endpoint} even after renewing it${said}.`);
  }
  if (status === 403) return fail('forbidden', `The N-central API user may not use ${endpoint}${said}. Check its role and access group.`);
  if (status === 404) return fail('notFound', `N-central has no ${endpoint} for that request${said}.`);
  if (status === 429) return fail('rateLimited', `N-central kept answering 429 (too many calls) on ${endpoint}.`);
  if (status >= 500) return fail('server', `N-central answered ${status} on ${endpoint}${said}.`);
  return fail('badResponse', `N-central answered ${status} on ${endpoint}${said}.`, false);
}

/** Every known secret, and anything else shaped like a JWT, replaced by "[redacted]". */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret.length >= 8) clean = clean.split(secret).join('[redacted]');
  }
  return clean.replace(JWT_SHAPED, '[redacted]');
}

/**
 * A JWT (its header starts `{"` → `eyJ`). The lookbehind starts a match only where a token starts: unanchored,
 * `eyJeyJeyJ…` was retried at every `eyJ` and scanned to the end each time, quadratic in the answer's length.
 * Each segment is taken whole through a lookahead and a backreference (an atomic group), so a segment without
 * its dot fails at once instead of being given back one character at a time.
 */
export const JWT_SHAPED = /(?<![\w-])eyJ(?=([\w-]{4,}))\1\.(?=([\w-]+))\2\.[\w-]*/g;

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
