import type { ConsoleSessionRecord } from '../store/console-sessions.js';
import { mapIdentity, type MappingRules } from './identity-mapping.js';
import type { SignedInUser } from './session.js';

export type SessionEndReason =
  | 'unknown'
  | 'signed-out'
  | 'expired'
  | 'mismatch'
  | 'admin-token-revoked'
  | 'tenant-disabled'
  | 'no-longer-allowed';

export type SessionVerdict =
  | { kind: 'valid' }
  | { kind: 'ended'; reason: SessionEndReason }
  /** A service-wide operator's chosen tenant is disabled (or gone): they stay signed in and choose again. */
  | { kind: 'tenant-unavailable' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an allow-list or claim tenant reference names this tenant, as resolveTenantRef would find it. */
function refersTo(ref: string, tenant: { id: string; name: string }): boolean {
  return UUID.test(ref) ? ref.toLowerCase() === tenant.id.toLowerCase() : ref.toLowerCase() === tenant.name.toLowerCase();
}

/**
 * Whether the session behind a signed cookie still stands, decided afresh on every request: not signed out or
 * expired, its admin token not revoked, its tenant active, and an OpenID sign-in still mapped by the allow-list
 * and claim rules of the moment to the same tenant and role (a changed mapping means signing in again).
 * `rules` is undefined when OpenID sign-in is no longer configured.
 */
export function judgeSession(
  record: ConsoleSessionRecord | undefined,
  user: SignedInUser,
  now: Date,
  rules: MappingRules | undefined,
): SessionVerdict {
  const ended = (reason: SessionEndReason): SessionVerdict => ({ kind: 'ended', reason });
  if (!record) return ended('unknown');
  if (record.revokedAt !== null && record.revokedAt <= now) return ended('signed-out');
  if (record.expiresAt <= now) return ended('expired');
  // The cookie is signed, so these agree unless the signing key leaked; then the record, not the cookie, decides.
  const serviceWide = record.tenantId === null;
  if (record.via !== user.via || record.role !== user.role || serviceWide !== user.serviceWide) return ended('mismatch');
  if (!serviceWide && record.tenantId !== user.tenantId) return ended('mismatch');
  if (record.adminToken === null) return ended('admin-token-revoked');
  if (record.adminToken?.revokedAt && record.adminToken.revokedAt <= now) return ended('admin-token-revoked');

  const viewed = user.tenantId === null ? null : record.viewedTenant;
  const viewedActive = viewed !== null && viewed.id === user.tenantId && viewed.status === 'active';
  if (record.via === 'oidc') {
    if (!rules || !record.identityClaims) return ended('no-longer-allowed');
    const mapping = mapIdentity(record.identityClaims, rules);
    if (mapping.kind === 'refused' || mapping.role !== record.role) return ended('no-longer-allowed');
    if (serviceWide !== (mapping.tenantRef === '*')) return ended('no-longer-allowed');
    if (!serviceWide) {
      if (!viewed || !viewedActive) return ended('tenant-disabled');
      if (!refersTo(mapping.tenantRef, viewed)) return ended('no-longer-allowed');
    }
  }
  if (user.tenantId !== null && !viewedActive) return serviceWide ? { kind: 'tenant-unavailable' } : ended('tenant-disabled');
  return { kind: 'valid' };
}
