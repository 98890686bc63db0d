import type { FastifyRequest } from 'fastify';
import { HttpFailure } from './errors.js';

/** Fastify drops unknown query parameters; a misspelt filter must fail loudly (400) instead of widening the result. */
export function onlyKnownQuery(allowed: readonly string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const unknown = Object.keys(request.query as Record<string, unknown>).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: `Unknown query parameter: ${unknown.join(', ')}.` });
  };
}
