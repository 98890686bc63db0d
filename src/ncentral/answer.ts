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
  // Only N-central's documented error shape is read; any other body (an HTML page, a proxy's text) is never echoed.
  const read = status >= 200 && status < 300 ? null : readErrorMessage(parsed.value);
  const serverMessage = read?.echo == null ? null : scrub(read.echo);
  const fail = (kind: NcentralError['kind'], message: string, retryable?: boolean): Interpreted => ({
    ok: false,
    error: new NcentralError(kind, message, {
      status,
      endpoint,
      ...(retryable === undefined ? {} : { retryable }),
      ...(serverMessage === null ? {} : { serverMessage }),
    }),
  });
  if (read !== null && PASSWORD_EXPIRED.test(read.text)) {
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

/**
 * N-central's error body is `{status, message, errors[]}` (the API-Service specification's ErrorResponse), with
 * messages like `"[ID=abcd] UNAUTHORIZED: UnauthorizedException: Missing authorization header bearer."`. `text` is
 * the whole message, read only to diagnose (the expired-password case); `echo` is what a diagnosis may quote: the
 * status words and the `[ID=…]` reference N-able support asks for, both of a fixed shape. Free text is never quoted,
 * so a server cannot make our answers carry what it says (issue 15 item 3). `error message` is the older inline
 * form some endpoints use (§7).
 */
export function readErrorMessage(body: unknown): { text: string; echo: string | null } | null {
  if (!isObject(body)) return null;
  const raw = [body['message'], body['error message'], body['errorMessage']].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  if (raw === undefined) return null;
  const text = raw.slice(0, 2000);
  const reference = /^\s*\[ID=([\w-]{1,64})\]\s*/.exec(text);
  const afterReference = reference === null ? text : text.slice(reference[0].length);
  const statusWords = /^([A-Z][A-Z ]{2,40}):/.exec(afterReference)?.[1]?.trim();
  const parts = [statusWords, reference?.[1] === undefined ? undefined : `[N-central reference ${reference[1]}]`].filter((p): p is string => p !== undefined && p !== '');
  return { text, echo: parts.length === 0 ? null : parts.join(' ') };
}
