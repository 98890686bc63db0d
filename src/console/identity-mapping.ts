import type { AllowListEntry, ConsoleRole, OidcConfig } from '../config.js';

/** Where a signed-in person may go: a tenant reference (id or name, or `*` for all) and a role. */
export type IdentityMapping =
  | { kind: 'mapped'; identity: string; tenantRef: string; role: ConsoleRole; source: 'allow-list' | 'claims' }
  | { kind: 'refused'; identity: string; reason: string };

type Claims = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The person's name as operators write it: e-mail, else Entra's preferred_username/upn, else the subject. */
export function identityOf(claims: Claims): string {
  return (str(claims['email']) ?? str(claims['preferred_username']) ?? str(claims['upn']) ?? `sub:${str(claims['sub']) ?? '?'}`).toLowerCase();
}

function names(claims: Claims): string[] {
  return [claims['email'], claims['preferred_username'], claims['upn']]
    .map(str)
    .filter((v): v is string => v !== undefined)
    .map((v) => v.toLowerCase());
}

function entryMatches(entry: AllowListEntry, claims: Claims, exact: boolean): boolean {
  if (entry.who.startsWith('sub:') || entry.who.startsWith('oid:')) {
    if (!exact) return false;
    const claim = str(claims[entry.who.slice(0, 3)]);
    return claim !== undefined && claim.toLowerCase() === entry.who.slice(4);
  }
  if (entry.who.startsWith('*@')) return !exact && names(claims).some((n) => n.endsWith(entry.who.slice(1)));
  return exact && names(claims).includes(entry.who);
}

function claimValues(claims: Claims, name: string): string[] {
  const v = claims[name];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * Maps verified id_token claims to a tenant and role. The allow-list wins (a person's own entry, then their
 * domain's), then the claims: OIDC_TENANT_CLAIM names the tenant, OIDC_ROLE_CLAIM holds `admin` or `viewer`
 * (e.g. Entra app roles in `roles`); without a role value the person is a viewer, the least privilege.
 */
export function mapIdentity(claims: Claims, rules: Pick<OidcConfig, 'allowList' | 'tenantClaim' | 'roleClaim'>): IdentityMapping {
  const identity = identityOf(claims);
  const entry =
    rules.allowList.find((e) => entryMatches(e, claims, true)) ?? rules.allowList.find((e) => entryMatches(e, claims, false));
  if (entry) return { kind: 'mapped', identity, tenantRef: entry.tenant, role: entry.role, source: 'allow-list' };
  if (rules.tenantClaim) {
    const tenants = claimValues(claims, rules.tenantClaim);
    if (tenants.length === 1 && tenants[0] !== '*') {
      const roles = rules.roleClaim ? claimValues(claims, rules.roleClaim).map((r) => r.toLowerCase()) : [];
      const role: ConsoleRole = roles.includes('admin') ? 'admin' : 'viewer';
      return { kind: 'mapped', identity, tenantRef: tenants[0] as string, role, source: 'claims' };
    }
    if (tenants.length > 1) {
      return { kind: 'refused', identity, reason: `Your account carries ${tenants.length} tenants in its ${rules.tenantClaim} claim; it must carry exactly one.` };
    }
  }
  return { kind: 'refused', identity, reason: 'Your account is not mapped to any tenant of this service.' };
}
