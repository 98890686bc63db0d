/**
 * One HTTP exchange with N-central over node:https. An explicit `https.Agent` is the simplest way to trust a
 * private CA bundle per tenant (built-in fetch on Node 20 cannot take one); connections are kept alive because
 * a sync makes one assets call per device. Failures become NcentralError kinds; no header is ever echoed.
 * Every socket's address passes the destination guard (NCENTRAL_ALLOWED_HOSTS) first, and redirects are never
 * followed (a 3xx is an unexpected answer), so the client cannot be steered to an internal address (issue 15).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { parseIp } from './address-ranges.js';
import { addressVerdict } from './allowed-hosts.js';
import { NcentralError } from './client-error.js';
import { guardedLookup, NOT_ALLOWED_CODE, type DestinationGuard } from './destination-guard.js';

export interface HttpExchange {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  endpoint: string;
  /** Aborts the exchange (the client's close(), or its owner's signal). */
  signal?: AbortSignal;
  /** The answer's body is cut off past this many bytes, counted as it streams in (issue 15 item 4). */
  maxBodyBytes?: number;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Bytes of the body as received. */
  bytes: number;
}

/** A devices page of 1,000 is about 1 MB; anything far larger is not an N-central answer. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Thrown when an answer outgrows `maxBodyBytes`; the client says which cap it was. */
export class OversizedAnswer extends NcentralError {
  constructor(endpoint: string, readonly limit: number) {
    super('serverMisbehaved', `N-central sent an answer larger than ${limit} bytes on ${endpoint}.`, { endpoint, retryable: false });
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

export class Transport {
  // ES-private: the agent's in-flight requests hold the Authorization header; nothing may walk into them.
  readonly #agent: http.Agent;
  private readonly target: URL;
  private readonly secure: boolean;
  /** Set when the URL names an address literal that is not allowed: Node connects to literals without `lookup`. */
  private readonly refused: boolean;

  constructor(baseUrl: string, caPem: string | undefined, guard: DestinationGuard) {
    this.target = new URL(baseUrl);
    this.secure = this.target.protocol === 'https:';
    const literal = this.target.hostname.replace(/^\[|\]$/g, '');
    this.refused = parseIp(literal) !== null && !addressVerdict(guard.allowed, literal).allowed;
    const lookup = guardedLookup(guard);
    if (this.secure) {
      // Passing `ca` replaces Node's trust store, so the public roots are kept beside the private bundle;
      // without a bundle the default store (which includes NODE_EXTRA_CA_CERTS) is used untouched.
      // The bundle goes in as a prebuilt secure context: an agent given `ca` directly re-joins every
      // certificate into its connection-pool key on each request (a measurable cost at 100,000 calls).
      const secureContext = caPem === undefined ? undefined : tls.createSecureContext({ ca: [...tls.rootCertificates, caPem] });
      this.#agent = new https.Agent({ keepAlive: true, maxSockets: 64, lookup, ...(secureContext ? { secureContext } : {}) });
    } else {
      this.#agent = new http.Agent({ keepAlive: true, maxSockets: 64, lookup });
    }
  }

  send(exchange: HttpExchange): Promise<HttpAnswer> {
    if (this.refused) return Promise.reject(notAllowed(exchange.endpoint));
    return this.attempt(exchange, true);
  }

  /**
   * One request. A kept-alive socket that the server closed while idle fails the next request on it with
   * ECONNRESET before any answer; Node's documentation recommends re-sending then, which costs no backoff.
   */
  private attempt(exchange: HttpExchange, mayResendOnStaleSocket: boolean): Promise<HttpAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...exchange.headers };
    if (exchange.body !== undefined) headers['content-length'] = String(Buffer.byteLength(exchange.body));
    const options: https.RequestOptions = {
      protocol: this.target.protocol,
      hostname: this.target.hostname.replace(/^\[|\]$/g, ''),
      port: this.target.port === '' ? undefined : Number(this.target.port),
      method: exchange.method,
      path: exchange.path,
      headers,
      agent: this.#agent,
    };
    const request = this.secure ? https.request : http.request;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      const finish = (error: NcentralError | null, answer?: HttpAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        exchange.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else if (answer) resolve(answer);
      };
      let answered = false;
      const limit = Math.min(exchange.maxBodyBytes ?? MAX_BODY_BYTES, MAX_BODY_BYTES);
      const req = request(options, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        const oversized = () => {
          finish(new OversizedAnswer(exchange.endpoint, limit));
          chunks.length = 0;
          req.destroy();
        };
        // A declared length past the cap is refused before a byte of the body is read.
        if (Number(res.headers['content-length'] ?? 0) > limit) {
          oversized();
          return;
        }
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          size += chunk.length;
          if (size > limit) {
            oversized();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), bytes: size });
        });
        res.on('error', (error) => finish(describeSocketError(error, exchange.endpoint)));
        res.on('close', () => {
          if (!res.complete) finish(new NcentralError('network', `N-central closed the connection mid-answer on ${exchange.endpoint}.`, { endpoint: exchange.endpoint }));
        });
      });
      const onAbort = () => {
        finish(new NcentralError('network', 'The N-central client was closed while a call was in flight.', { endpoint: exchange.endpoint, retryable: false }));
        req.destroy();
      };
      if (exchange.signal?.aborted) {
        queueMicrotask(onAbort);
      } else {
        exchange.signal?.addEventListener('abort', onAbort, { once: true });
      }
      const timer = setTimeout(() => {
        finish(new NcentralError('timeout', `N-central did not answer ${exchange.endpoint} within ${exchange.timeoutMs} ms.`, { endpoint: exchange.endpoint }));
        req.destroy();
      }, exchange.timeoutMs);
      req.on('error', (error: Error & { code?: string }) => {
        const stale = mayResendOnStaleSocket && req.reusedSocket && !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        if (stale && !settled && !exchange.signal?.aborted) {
          settled = true;
          clearTimeout(timer);
          exchange.signal?.removeEventListener('abort', onAbort);
          this.attempt(exchange, false).then(resolve, reject);
          return;
        }
        finish(describeSocketError(error, exchange.endpoint));
      });
      if (exchange.body !== undefined) req.write(exchange.body);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Plain words only: nothing of what a foreign server or its network said reaches the message (issue 15). */
function notAllowed(endpoint: string): NcentralError {
  return new NcentralError(
    'notAllowed',
    'The N-central address is not allowed: this service connects only to public addresses and to hosts its operator lists in NCENTRAL_ALLOWED_HOSTS.',
    { endpoint, retryable: false },
  );
}

function describeSocketError(error: Error & { code?: string }, endpoint: string): NcentralError {
  const code = error.code ?? '';
  if (code === NOT_ALLOWED_CODE) return notAllowed(endpoint);
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    const why =
      code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN'
        ? 'its certificate is self-signed (configure the issuing CA bundle, or install a certificate from a trusted CA)'
        : code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? 'its certificate does not name this host'
          : code === 'CERT_HAS_EXPIRED'
            ? 'its certificate has expired'
            : 'its certificate could not be verified';
    return new NcentralError('tls', `The TLS connection to N-central was refused: ${why}.`, { endpoint, retryable: false });
  }
  // Refused, unresolvable and reset look alike on purpose: telling them apart would make verify a port scanner.
  return new NcentralError('network', `N-central could not be reached (${endpoint}).`, { endpoint, retryable: code !== 'ENOTFOUND' });
}
