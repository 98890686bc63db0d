import { PORTAL_ROLES } from '../roles/effective-role.js';
import { attr, type AttributeDef } from './user-schema.js';

/**
 * The N-able extension of the User (issue 17): what the portal decides about an account, never what a client
 * sends. Its one attribute, `role`, is the effective portal role (src/roles/effective-role.ts). It is readOnly
 * (a client's value is ignored, RFC 7643 §2.2) and returned only on request (`returned: "request"`, RFC 7643
 * §2.4: `attributes=urn:ietf:params:scim:schemas:extension:nable:2.0:User:role`), so the User Entra reads and
 * compares stays exactly the resource it wrote.
 */
export const NABLE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:nable:2.0:User';
export const NABLE_ROLE_PATH = `${NABLE_USER_SCHEMA}:role`;

export const NABLE_ATTRIBUTES: AttributeDef[] = [
  attr('role', 'string', "The account's effective portal role: the Entra app role, else the most privileged matching group rule, else the tenant default.", {
    mutability: 'readOnly',
    returned: 'request',
    canonicalValues: [...PORTAL_ROLES],
  }),
];

export const isNableExtension = (key: string): boolean => key.toLowerCase() === NABLE_USER_SCHEMA.toLowerCase();

/** The rendered User with the extension, as every answer is built before projection. */
export function withRole(resource: Record<string, unknown>, role: string): Record<string, unknown> {
  const schemas = Array.isArray(resource['schemas']) ? resource['schemas'] : [];
  return { ...resource, schemas: [...schemas, NABLE_USER_SCHEMA], [NABLE_USER_SCHEMA]: { role } };
}

/** The User without the extension: what a request that did not name the role gets back. */
export function withoutRole(resource: Record<string, unknown>): Record<string, unknown> {
  // `attributes` may have dropped the extension already, but not its entry in "schemas".
  const { [NABLE_USER_SCHEMA]: _role, ...rest } = resource;
  const schemas = Array.isArray(rest['schemas']) ? rest['schemas'].filter((s) => s !== NABLE_USER_SCHEMA) : rest['schemas'];
  return { ...rest, schemas };
}

/** True when `attributes` names the role (canonical paths keep the client's spelling of a URN, so ignoring case). */
export const roleRequested = (attributes: readonly string[] | undefined): boolean =>
  attributes?.some((a) => a.toLowerCase() === NABLE_ROLE_PATH.toLowerCase()) ?? false;
