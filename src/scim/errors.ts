import type { ErrorFamily, Failure, FailureReason, ProtocolError } from '../http/errors.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** The scimType values RFC 7644 §3.12 defines (Table 9), and the three RFC 9865 §2.2 adds for cursors. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  | 'invalidCursor'
  | 'expiredCursor'
  | 'invalidCount';

/** A SCIM Error (RFC 7644 §3.12): status as a string, scimType where the RFC defines one. */
export class ScimError extends Error implements ProtocolError {
  readonly contentType = SCIM_CONTENT_TYPE;
  constructor(
    readonly statusCode: number,
    readonly detail: string,
    readonly scimType: ScimType | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ScimError';
  }

  body(): Record<string, unknown> {
    return {
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(this.statusCode),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.detail,
    };
  }
}

export const invalidFilter = (detail: string) => new ScimError(400, detail, 'invalidFilter');
export const invalidValue = (detail: string) => new ScimError(400, detail, 'invalidValue');
export const invalidSyntax = (detail: string) => new ScimError(400, detail, 'invalidSyntax');
export const invalidPath = (detail: string) => new ScimError(400, detail, 'invalidPath');
export const noTarget = (detail: string) => new ScimError(400, detail, 'noTarget');
export const mutability = (detail: string) => new ScimError(400, detail, 'mutability');
export const uniqueness = (detail: string) => new ScimError(409, detail, 'uniqueness');
export const userNotFound = (id: string) => new ScimError(404, `User ${id} not found.`);
export const groupNotFound = (id: string) => new ScimError(404, `Group ${id} not found.`);
export const preconditionFailed = () =>
  new ScimError(412, 'The resource has changed since the version given in If-Match; fetch it again and retry.');

/** Generic failures keep no scimType except where §3.12 defines one for the situation (malformed body). */
const SCIM_TYPE_BY_REASON: Partial<Record<FailureReason, ScimType>> = {
  malformedBody: 'invalidSyntax',
  invalidInput: 'invalidSyntax',
};

/** Renders any failure under /scim (Fastify's 404/415/413/400, auth's HttpFailure) as a SCIM Error. */
export const scimErrorFamily: ErrorFamily = {
  prefix: '/scim',
  render: (f: Failure) => new ScimError(f.status, f.detail, f.status === 400 ? (SCIM_TYPE_BY_REASON[f.reason] ?? null) : null, f.headers ?? {}),
};
