/**
 * Portal roles and the one precedence that decides an account's effective role (issue 17):
 *
 *   1. an Entra app role: the value Entra sends to `roles[primary eq "True"].value`; when no element is
 *      primary, the most privileged recognised value among `roles`. A value that names no portal role
 *      (ignoring case, spaces, `-` and `_`) is ignored;
 *   2. else the most privileged role among the rules matching a group the account is in (a rule matches a
 *      group by displayName or by externalId, ignoring case); on a tie, the rule created first;
 *   3. else the tenant's default role.
 *
 * Pure: the callers load the account's roles, groups and the tenant's rules; nothing here does I/O.
 */

/** Most privileged first: the order ties between app roles and between group rules are broken by. */
export const PORTAL_ROLES = ['admin', 'technician', 'read-only'] as const;
export type PortalRole = (typeof PORTAL_ROLES)[number];

export const DEFAULT_PORTAL_ROLE: PortalRole = 'read-only';

export const isPortalRole = (value: unknown): value is PortalRole => typeof value === 'string' && (PORTAL_ROLES as readonly string[]).includes(value);

const privilege = (role: PortalRole): number => PORTAL_ROLES.length - PORTAL_ROLES.indexOf(role);

/** "Admin", "Read Only", "read_only", "ReadOnly" → the portal role; anything else undefined. */
export function portalRoleNamed(value: unknown): PortalRole | undefined {
  if (typeof value !== 'string') return undefined;
  const squashed = value.toLowerCase().replace(/[\s_-]/g, '');
  return PORTAL_ROLES.find((role) => role.replace(/-/g, '') === squashed);
}

export type RuleMatch = 'displayName' | 'externalId';

export interface RoleRule {
  id: string;
  matchBy: RuleMatch;
  value: string;
  role: PortalRole;
  createdAt: Date;
}

export interface MemberGroup {
  id: string;
  displayName: string;
  externalId: string | null;
}

/** Why an account has its role: what the provisioning log and the admin API say. */
export type RoleCause =
  | { kind: 'appRole'; value: string }
  | { kind: 'groupRule'; ruleId: string; matchBy: RuleMatch; value: string; groupId: string; groupDisplayName: string }
  | { kind: 'default' };

export interface EffectiveRole {
  role: PortalRole;
  cause: RoleCause;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Entra sends "True" as a string in places (its known SCIM issues); the stored document keeps JSON true. */
const isPrimary = (el: Record<string, unknown>): boolean => el['primary'] === true || (typeof el['primary'] === 'string' && el['primary'].toLowerCase() === 'true');

/** The app role an account's `roles` attribute assigns, by step 1 of the precedence above. */
export function appRoleOf(roles: unknown): { role: PortalRole; value: string } | undefined {
  if (!Array.isArray(roles)) return undefined;
  const elements = roles.filter(isObject).filter((el) => typeof el['value'] === 'string');
  const primary = elements.find(isPrimary);
  const primaryRole = primary ? portalRoleNamed(primary['value']) : undefined;
  if (primary && primaryRole) return { role: primaryRole, value: primary['value'] as string };
  let best: { role: PortalRole; value: string } | undefined;
  for (const el of elements) {
    const role = portalRoleNamed(el['value']);
    if (role && (!best || privilege(role) > privilege(best.role))) best = { role, value: el['value'] as string };
  }
  return best;
}

/** True when the rule names this group (displayName or externalId, ignoring case as SCIM's caseExact=false does). */
export function ruleMatchesGroup(rule: Pick<RoleRule, 'matchBy' | 'value'>, group: MemberGroup): boolean {
  const subject = rule.matchBy === 'displayName' ? group.displayName : group.externalId;
  return subject !== null && subject.toLowerCase() === rule.value.toLowerCase();
}

/** The effective role of one account, by the precedence in this module's comment. */
export function effectiveRole(input: { roles: unknown; groups: readonly MemberGroup[]; rules: readonly RoleRule[]; defaultRole: PortalRole }): EffectiveRole {
  const app = appRoleOf(input.roles);
  if (app) return { role: app.role, cause: { kind: 'appRole', value: app.value } };
  let best: { rule: RoleRule; group: MemberGroup } | undefined;
  for (const rule of input.rules) {
    for (const group of input.groups) {
      if (!ruleMatchesGroup(rule, group)) continue;
      const better =
        !best ||
        privilege(rule.role) > privilege(best.rule.role) ||
        (rule.role === best.rule.role && rule.createdAt.getTime() < best.rule.createdAt.getTime());
      if (better) best = { rule, group };
    }
  }
  if (best) {
    const { rule, group } = best;
    return { role: rule.role, cause: { kind: 'groupRule', ruleId: rule.id, matchBy: rule.matchBy, value: rule.value, groupId: group.id, groupDisplayName: group.displayName } };
  }
  return { role: input.defaultRole, cause: { kind: 'default' } };
}

/** One line for the provisioning log's detail: how an operator answers "why is Bob an admin". */
export function describeCause(cause: RoleCause, role: PortalRole): string {
  switch (cause.kind) {
    case 'appRole':
      return `Entra app role "${cause.value}" assigns ${role}.`;
    case 'groupRule':
      return `Member of group "${cause.groupDisplayName}" (${cause.groupId}); rule ${cause.ruleId} (${cause.matchBy} "${cause.value}") assigns ${role}.`;
    case 'default':
      return `No app role and no group rule applies; the tenant default is ${role}.`;
  }
}
