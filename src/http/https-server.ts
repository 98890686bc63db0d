import type { ServerOptions as HttpServerOptions } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { FastifyServerFactory } from 'fastify';
import type { Logger } from 'pino';
import { readCertificatePair, type CertificatePair, type ServedCertificate, type TlsFiles } from './tls-certificate.js';
import { watchCertificatePair, type CertificateWatch } from './tls-reload.js';

export interface HttpsServing {
  /** For Fastify's `serverFactory`: https servers built with the same limits as the plain http one. */
  serverFactory: FastifyServerFactory;
  served(): ServedCertificate;
  /** Starts picking up renewals of the files; stop it when the app closes. */
  watch(log: Pick<Logger, 'info' | 'warn' | 'debug'>, options?: { debounceMs?: number; pollMs?: number }): CertificateWatch;
}

export interface HttpsLimits {
  /** maxHeaderSize, requestTimeout, connectionsCheckingInterval: Node only applies some of them at construction. */
  http: HttpServerOptions;
  keepAliveTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * Serving https ourselves (TLS_CERT_FILE/TLS_KEY_FILE). Fastify's own `https` option would drop the `http`
 * limits and change the instance's type, so the servers are built here; Fastify may ask for more than one (one
 * per address `localhost` resolves to), and a renewal is set on all of them.
 */
export function createHttpsServing(files: TlsFiles, limits: HttpsLimits): HttpsServing {
  const first = readCertificatePair(files);
  // loadConfig checked the pair; this only fails if the files changed in between.
  if (!first.ok) throw new Error(`${first.variable}: ${first.problem}`);
  let current: CertificatePair = first.pair;
  const servers = new Set<Server>();

  const serverFactory: FastifyServerFactory = (handler) => {
    const server = createServer({ ...limits.http, cert: current.cert, key: current.key }, handler);
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    server.requestTimeout = limits.requestTimeoutMs;
    servers.add(server);
    server.on('close', () => servers.delete(server));
    return server;
  };

  return {
    serverFactory,
    served: () => current.served,
    watch: (log, options = {}) =>
      watchCertificatePair({
        files,
        current,
        log,
        ...options,
        apply: (pair) => {
          // New handshakes get the new pair; connections already open (HTTP/1.1 keep-alive) keep theirs until they
          // close, as certificates are only checked at the handshake.
          for (const server of servers) server.setSecureContext({ cert: pair.cert, key: pair.key });
          current = pair;
        },
      }),
  };
}
