import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Why a request failed, independent of the protocol that will phrase it. */
export type FailureReason =
  | 'malformedBody'
  | 'invalidInput'
  | 'bodyTooLarge'
  | 'unsupportedMediaType'
  | 'notFound'
  | 'methodNotAllowed'
  | 'unauthorized'
  | 'forbidden'
  | 'rateLimited'
  | 'unavailable'
  | 'timeout'
  | 'internal';

export interface Failure {
  status: number;
  reason: FailureReason;
  detail: string;
  headers?: Record<string, string>;
}

/** An error a protocol module built itself (SCIM Error, OAuth2 error): it knows its status, headers and body. */
export interface ProtocolError {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly contentType: string;
  body(): unknown;
}

export const isProtocolError = (err: unknown): err is ProtocolError =>
  typeof err === 'object' && err !== null && typeof (err as ProtocolError).body === 'function' &&
  typeof (err as ProtocolError).statusCode === 'number';

/**
 * A failure thrown by code that does not know the route family's error shape (bearer auth, rate limits):
 * the errors plugin phrases it in the family's protocol (SCIM Error under /scim, plain JSON elsewhere).
 */
export class HttpFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.detail);
    this.name = 'HttpFailure';
  }
}

/** Phrases a generic failure in one protocol's shape; one per route family, chosen by URL prefix. */
export interface ErrorFamily {
  prefix: string;
  render(failure: Failure): ProtocolError;
}

/** The shape for routes that belong to no protocol (health, admin API): `{ error, message }`. */
export const plainFamily: ErrorFamily = {
  prefix: '/',
  render: (f) => ({
    statusCode: f.status,
    headers: f.headers ?? {},
    contentType: 'application/json; charset=utf-8',
    body: () => ({ error: f.reason, message: f.detail }),
  }),
};

const DATABASE_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P03', '08006', '08001', '08003', '53300']);

/** Turns anything thrown by Fastify, a driver or our code into a Failure; nothing internal is exposed. */
export function toFailure(err: unknown): Failure {
  const e = err as Partial<FastifyError> & { code?: string; message?: string };
  const code = e.code ?? '';
  // Fastify's router refuses these before any hook runs (frameworkErrors): a path segment that is not valid
  // percent-encoded UTF-8, or an id longer than any id this service issues.
  if (code === 'FST_ERR_BAD_URL') {
    return { status: 400, reason: 'invalidInput', detail: 'The URL is not valid percent-encoded UTF-8.' };
  }
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return { status: 404, reason: 'notFound', detail: 'No resource has an identifier that long.' };
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, reason: 'unsupportedMediaType', detail: 'Content-Type must be application/scim+json or application/json.' };
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
    return { status: 413, reason: 'bodyTooLarge', detail: 'The request body is larger than this server accepts.' };
  }
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
    return { status: 400, reason: 'malformedBody', detail: 'The request body is not valid JSON.' };
  }
  if (e.validation) {
    return { status: 400, reason: 'invalidInput', detail: `Invalid request: ${e.message ?? 'validation failed'}` };
  }
  if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return { status: 400, reason: 'malformedBody', detail: 'Content-Length does not match the body.' };
  }
  if (DATABASE_DOWN.has(code) || /Connection terminated|timeout exceeded when trying to connect|database did not answer/i.test(e.message ?? '')) {
    return { status: 503, reason: 'unavailable', detail: 'The database is unavailable; retry shortly.', headers: { 'retry-after': '5' } };
  }
  if (code === '57014') {
    return { status: 503, reason: 'timeout', detail: 'The request took too long; retry shortly.', headers: { 'retry-after': '5' } };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, reason: 'invalidInput', detail: e.message ?? 'Bad request.' };
  }
  return { status: 500, reason: 'internal', detail: 'An internal error occurred; it has been logged.' };
}

/** The family whose prefix is the longest that starts the URL; the plain shape when none does. */
export function familyFor(families: ErrorFamily[], url: string): ErrorFamily {
  return [...families, plainFamily].sort((a, b) => b.prefix.length - a.prefix.length).find((f) => url.startsWith(f.prefix)) ?? plainFamily;
}

/**
 * Fastify's `frameworkErrors` option: failures its router finds before any route or hook (a malformed URL, an
 * over-long path parameter) would otherwise be answered in Fastify's own JSON, not the protocol's shape.
 */
export function frameworkErrorRenderer(families: ErrorFamily[]) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    void sendProtocolError(reply, familyFor(families, request.url).render(toFailure(err)));
  };
}

export function sendProtocolError(reply: FastifyReply, error: ProtocolError): FastifyReply {
  return reply.code(error.statusCode).headers(error.headers).type(error.contentType).send(error.body());
}

interface ErrorsOptions {
  families: ErrorFamily[];
}

/**
 * The one place every failure is rendered. The route family (by URL prefix, longest first) decides the shape,
 * so a SCIM client always gets a SCIM Error and a token client always gets an OAuth2 error.
 */
export const errorsPlugin = fp<ErrorsOptions>(
  async (app: FastifyInstance, options: ErrorsOptions) => {
    const families = [...options.families, plainFamily].sort((a, b) => b.prefix.length - a.prefix.length);
    const familyFor = (url: string): ErrorFamily =>
      families.find((f) => url.startsWith(f.prefix)) ?? plainFamily;

    app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
      if (isProtocolError(err)) return sendProtocolError(reply, err);
      const failure = err instanceof HttpFailure ? err.failure : toFailure(err);
      if (failure.status >= 500) request.log.error({ err }, 'request failed');
      else request.log.debug({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'request refused');
      return sendProtocolError(reply, familyFor(request.url).render(failure));
    });

    app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
      sendProtocolError(
        reply,
        familyFor(request.url).render({ status: 404, reason: 'notFound', detail: `No route for ${request.method} ${request.url.split('?')[0]}.` }),
      ),
    );
  },
  { name: 'errors' },
);
