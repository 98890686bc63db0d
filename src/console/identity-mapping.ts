import type { AllowListEntry, ConsoleRole, OidcConfig } from '../config.js';

/** Where a signed-in person may go: a tenant reference (id or name, or `*` for all) and a role. */
export type IdentityMapping =
  | { kind: 'mapped'; identity: string; tenantRef: string; role: ConsoleRole; source: 'allow-list' | 'claims' }
  | { kind: 'refused'; identity: string; reason: string };

export type MappingRules = Pick<OidcConfig, 'allowList' | 'tenantClaim' | 'roleClaim' | 'trustedEmailIssuers'>;

type Claims = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

const NAME_CLAIMS = ['email', 'preferred_username', 'upn'] as const;

/**
 * The names the provider vouches for. `email_verified: true` (OIDC Core §5.1) vouches for `email` only; nothing in
 * OIDC vouches for `preferred_username`/`upn` (Core §5.7: not unique, may change), so those — and an unverified
 * `email`, which Entra lets users and guest inviters set — count only from an issuer OIDC_TRUSTED_EMAIL_ISSUERS names.
 */
function trustedNames(claims: Claims, trustedIssuers: readonly string[]): string[] {
  const iss = str(claims['iss'])?.replace(/\/+$/, '');
  const trusted = iss !== undefined && trustedIssuers.includes(iss);
  const claimNames: readonly string[] = trusted ? NAME_CLAIMS : claims['email_verified'] === true ? ['email'] : [];
  return claimNames
    .map((c) => str(claims[c]))
    .filter((v): v is string => v !== undefined)
    .map((v) => v.toLowerCase());
}

function claimedNames(claims: Claims): string[] {
  return NAME_CLAIMS.map((c) => str(claims[c]))
    .filter((v): v is string => v !== undefined)
    .map((v) => v.toLowerCase());
}

/** The person's name as operators write it: a vouched-for e-mail/UPN, else Entra's object id, else the subject. */
export function identityOf(claims: Claims, trustedIssuers: readonly string[] = []): string {
  const name = trustedNames(claims, trustedIssuers)[0];
  if (name) return name;
  const oid = str(claims['oid']);
  return oid ? `oid:${oid.toLowerCase()}` : `sub:${str(claims['sub']) ?? '?'}`;
}

function entryMatches(entry: AllowListEntry, claims: Claims, names: readonly string[], exact: boolean): boolean {
  if (entry.who.startsWith('sub:') || entry.who.startsWith('oid:')) {
    if (!exact) return false;
    const claim = str(claims[entry.who.slice(0, 3)]);
    return claim !== undefined && claim.toLowerCase() === entry.who.slice(4);
  }
  if (entry.who.startsWith('*@')) return !exact && names.some((n) => n.endsWith(entry.who.slice(1)));
  return exact && names.includes(entry.who);
}

function findEntry(allowList: readonly AllowListEntry[], claims: Claims, names: readonly string[]): AllowListEntry | undefined {
  return allowList.find((e) => entryMatches(e, claims, names, true)) ?? allowList.find((e) => entryMatches(e, claims, names, false));
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
export function mapIdentity(claims: Claims, rules: MappingRules): IdentityMapping {
  const identity = identityOf(claims, rules.trustedEmailIssuers);
  const entry = findEntry(rules.allowList, claims, trustedNames(claims, rules.trustedEmailIssuers));
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
  if (findEntry(rules.allowList, claims, claimedNames(claims))) {
    return {
      kind: 'refused',
      identity,
      reason: `Your identity provider does not vouch for the e-mail address or user name ${claimedNames(claims)[0] ?? ''} (no email_verified), so it is not matched against the allow-list.`,
    };
  }
  return { kind: 'refused', identity, reason: 'Your account is not mapped to any tenant of this service.' };
}

/** Longest claim string kept in a console session's record (e-mail addresses are at most 254). */
const MAX_CLAIM_CHARS = 1024;

/**
 * The claims mapIdentity reads, kept with the console session so every request can map the person again against
 * the rules of the moment (an allow-list change then ends their session). Kept small without changing the
 * outcome: of the role claim only whether it holds `admin`, of the tenant claim at most two values (one maps,
 * two refuse); an oversized string is left out, which can only make mapping refuse, never widen it.
 */
export function identityClaims(claims: Claims, rules: Pick<OidcConfig, 'tenantClaim' | 'roleClaim'>): Claims {
  const kept: Claims = {};
  const short = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_CLAIM_CHARS;
  for (const name of ['iss', 'sub', 'oid', 'tid', 'email', 'email_verified', 'preferred_username', 'upn']) {
    const v = claims[name];
    if (typeof v === 'boolean' || short(v)) kept[name] = v;
  }
  const { tenantClaim, roleClaim } = rules;
  if (tenantClaim && tenantClaim in claims) kept[tenantClaim] = claimValues(claims, tenantClaim).filter(short).slice(0, 2);
  if (roleClaim && roleClaim !== tenantClaim && roleClaim in claims) {
    kept[roleClaim] = claimValues(claims, roleClaim).some((r) => r.toLowerCase() === 'admin') ? ['admin'] : [];
  }
  return kept;
}
