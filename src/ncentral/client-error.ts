/**
 * The one error the N-central client throws. `kind` says what went wrong in terms a caller can act on;
 * the message is plain words and never contains a token (the client redacts before it builds one).
 */
export type NcentralErrorKind =
  | 'badUrl'
  | 'notAllowed'
  | 'tls'
  | 'network'
  | 'auth'
  | 'forbidden'
  | 'notFound'
  | 'rateLimited'
  | 'server'
  | 'timeout'
  | 'badResponse'
  | 'passwordExpired'
  /** A cap on what one run reads was hit (pages, items, a field, an answer or the run's bytes): a hostile or broken server. */
  | 'serverMisbehaved';

export class NcentralError extends Error {
  override readonly name = 'NcentralError';
  readonly kind: NcentralErrorKind;
  readonly status?: number;
  /** The endpoint template (e.g. `/api/devices/{id}`) the failure came from, when there was one. */
  readonly endpoint?: string;
  /** Worth another attempt: 429 is N-central's normal back-pressure; 5xx, timeouts and dropped connections pass. */
  readonly retryable: boolean;
  /** N-central's own `message` from its error body `{status, message, errors[]}`, cleaned and scrubbed of tokens. */
  readonly serverMessage?: string;

  constructor(
    kind: NcentralErrorKind,
    message: string,
    details: { status?: number; endpoint?: string; retryable?: boolean; serverMessage?: string } = {},
  ) {
    super(message);
    this.kind = kind;
    if (details.serverMessage !== undefined) this.serverMessage = details.serverMessage;
    if (details.status !== undefined) this.status = details.status;
    if (details.endpoint !== undefined) this.endpoint = details.endpoint;
    this.retryable =
      details.retryable ?? (kind === 'rateLimited' || kind === 'server' || kind === 'network' || kind === 'timeout');
  }
}
