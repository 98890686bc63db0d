/**
 * The N-central address as operators type it — a bare FQDN, `fqdn:port`, or any portal URL copied from the
 * browser (`https://nc.example.com/dashboard/…`) — reduced to `https://host[:port]`. Plain http is refused:
 * the User-API token must never cross the wire in clear.
 */
export type BaseUrlResult = { ok: true; url: string } | { ok: false; reason: string };

export function normaliseNcentralUrl(input: string, options: { allowPlainHttp?: boolean } = {}): BaseUrlResult {
  const text = input.trim();
  if (text === '') return { ok: false, reason: 'The N-central address is empty.' };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, reason: 'The N-central address is not a valid host name or URL.' };
  }
  if (url.protocol === 'http:' && !options.allowPlainHttp) {
    return { ok: false, reason: 'The N-central address must use https; plain http would expose the API token.' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: `The N-central address must be an https URL, not ${url.protocol.replace(':', '')}.` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'The N-central address must not contain a user name or password.' };
  }
  if (url.hostname === '' || !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/i.test(url.hostname) || url.hostname.startsWith('.') || url.hostname.includes('..')) {
    return { ok: false, reason: 'The N-central address has no valid host name.' };
  }
  return { ok: true, url: `${url.protocol}//${url.host}` };
}
