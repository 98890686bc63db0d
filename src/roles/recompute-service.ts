import type { Transaction } from 'kysely';
import { entryToRow } from '../provisioning-log/scim-entry.js';
import { groupsOfAccounts, lockAccountRoles, writeAccountRoles, type RoleWrite } from '../store/account-roles.js';
import { findDefaultRole, listRoleRules } from '../store/role-rules.js';
import type { DB, NewProvisioningLogRow } from '../store/tables.js';
import { describeCause, effectiveRole, type PortalRole, type RoleCause, type RoleRule } from './effective-role.js';

/** What caused a recomputation, for the provisioning-log entry of each role it changes. */
export interface RoleTrigger {
  occurredAt: Date;
  /** The SCIM client, or the admin subject, whose request changed membership, app roles or rules. */
  clientId: string | null;
  requestId: string | null;
  /** The status the causing request answers with. */
  httpStatus: number;
  /** What happened, in a few words: `PATCH of group "Admins" removed 1 member`, `Role rule … deleted`. */
  description: string;
  /** False when the provisioning log is turned off (PROVISIONING_LOG_ENABLED). */
  log: boolean;
  /** True when the caller already bumped the accounts' versions in this transaction (a user PATCH): one change, one ETag. */
  versionBumped?: boolean;
}

export interface RoleChange {
  accountId: string;
  userName: string;
  old: PortalRole;
  new: PortalRole;
  cause: RoleCause;
}

/** A flat object as text with sorted keys: jsonb gives keys back in its own order. */
const flat = (o: object | null): string => (o === null ? 'null' : JSON.stringify(o, Object.keys(o).sort()));

/** Accounts per statement: keeps each `= any($1)` and the values list of the update well bounded. */
const BATCH = 1000;

const ruleOf = (row: Awaited<ReturnType<typeof listRoleRules>>[number]): RoleRule => ({
  id: row.id,
  matchBy: row.match_by,
  value: row.match_value,
  role: row.role,
  createdAt: new Date(row.created_at),
});

/**
 * Recomputes the effective role of these accounts in the caller's transaction: the transaction that changed a
 * membership, an app role, a rule or the default (issue 17: the role changes with its cause, or not at all).
 * Each role that changes is written to the account and logged old → new with its cause and trigger.
 */
export async function recomputeRoles(trx: Transaction<DB>, tenantId: string, accountIds: readonly string[], trigger: RoleTrigger): Promise<RoleChange[]> {
  const ids = [...new Set(accountIds.map((id) => id.toLowerCase()))].sort();
  if (ids.length === 0) return [];
  const [rules, defaultRole] = await Promise.all([listRoleRules(trx, tenantId), findDefaultRole(trx, tenantId)]);
  const changes: RoleChange[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    const accounts = await lockAccountRoles(trx, tenantId, batch);
    const groups = await groupsOfAccounts(trx, tenantId, batch);
    const writes: RoleWrite[] = [];
    const entries: Omit<NewProvisioningLogRow, 'tenant_id'>[] = [];
    for (const account of accounts) {
      const got = effectiveRole({
        roles: account.resource['roles'],
        groups: groups.get(account.id) ?? [],
        rules: rules.map(ruleOf),
        defaultRole: defaultRole ?? 'read-only',
      });
      const roleChanged = got.role !== account.role;
      const causeChanged = flat(got.cause) !== flat(account.role_cause);
      if (!roleChanged && !causeChanged) continue;
      writes.push({ id: account.id, role: got.role, cause: got.cause, roleChanged: roleChanged && trigger.versionBumped !== true });
      if (!roleChanged) continue;
      changes.push({ accountId: account.id, userName: account.user_name, old: account.role, new: got.role, cause: got.cause });
      if (trigger.log) {
        entries.push(
          entryToRow({
            tenantId,
            occurredAt: trigger.occurredAt,
            clientId: trigger.clientId,
            requestId: trigger.requestId,
            operation: 'Change role',
            target: { id: account.id, userName: account.user_name, externalId: account.external_id },
            httpStatus: trigger.httpStatus,
            outcome: 'success',
            scimType: null,
            detail: `${account.role} → ${got.role}. ${describeCause(got.cause, got.role)} Caused by: ${trigger.description}`,
            changes: [{ attribute: 'role', old: account.role, new: got.role }],
            durationMs: 0,
          }),
        );
      }
    }
    await writeAccountRoles(trx, tenantId, writes, trigger.occurredAt, entries);
  }
  return changes;
}
