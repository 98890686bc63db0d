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
  // Only N-central's documented error shape is read; any other body (an HTML page, a proxy's text) is never echoed.
  const rawMessage = status >= 200 && status < 300 ? null : readErrorMessage(parsed.value);
  const serverMessage = rawMessage === null ? null : scrub(rawMessage);
  const said = serverMessage === null ? '' : ` (N-central said: ${serverMessage})`;
  const fail = (kind: NcentralError['kind'], message: string, retryable?: boolean): Interpreted => ({
    ok: false,
    error: new NcentralError(kind, message, {
      status,
      endpoint,
      ...(retryable === undefined ? {} : { retryable }),
      ...(serverMessage === null ? {} : { serverMessage }),
    }),
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

/** How long a server's message may grow in one of our sentences. */
const MAX_MESSAGE_CHARS = 300;

/**
 * N-central's error body is `{status, message, errors[]}` (the API-Service specification's ErrorResponse), with
 * messages like `"[ID=abcd] UNAUTHORIZED: UnauthorizedException: Missing authorization header bearer."`. The
 * `[ID=…]` reference is kept at the end (N-able support asks for it); the status words and Java exception names
 * are dropped; field errors are appended. `error message` is the older inline form some endpoints use (§7).
 */
export function readErrorMessage(body: unknown): string | null {
  if (!isObject(body)) return null;
  const raw = [body['message'], body['error message'], body['errorMessage']].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  if (raw === undefined) return null;
  let text = raw.slice(0, 2000).replace(/[\u0000-\u001f\u007f]+/g, ' ');
  let reference: string | null = null;
  const id = /^\s*\[ID=([\w-]{1,64})\]\s*/.exec(text);
  if (id) {
    reference = id[1] ?? null;
    text = text.slice(id[0].length);
  }
  // "BAD REQUEST: BAD REQUEST: BadRequestException: Invalid customerId format" → "Invalid customerId format".
  for (;;) {
    const prefix = /^(?:[A-Z][A-Z ]{2,40}|[A-Za-z][\w.$]{0,120}(?:Exception|Error)):\s+/.exec(text);
    if (prefix === null) break;
    text = text.slice(prefix[0].length);
  }
  const errors = Array.isArray(body['errors']) ? body['errors'] : [];
  const details = errors
    .slice(0, 5)
    .map((e) => (isObject(e) ? [e['field'], e['message']].filter((v): v is string => typeof v === 'string' && v !== '').join(': ') : typeof e === 'string' ? e : ''))
    .filter((d) => d !== '');
  const sentence = [text.trim(), ...details].filter((p) => p !== '').join('; ');
  if (sentence === '') return null;
  const clipped = sentence.length > MAX_MESSAGE_CHARS ? `${sentence.slice(0, MAX_MESSAGE_CHARS)}…` : sentence;
  return reference === null ? clipped : `${clipped} [N-central reference ${reference}]`;
}
