import { randomUUID } from 'node:crypto';
import type { AuditActor, AuditEntryInput } from '../audit/audit-entry.js';
import { fieldChanges } from '../audit/changes.js';
import type { Deps } from '../deps.js';
import { HttpFailure } from '../http/errors.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import { deleteRoleRule, findDefaultRole, findRoleRule, insertRoleRule, listRoleRules, accountsInGroupsNamed, accountIdsPage, RoleRuleTaken, RoleRuleTenantMissing, setDefaultRole } from '../store/role-rules.js';
import type { RoleRuleRow } from '../store/tables.js';
import type { PortalRole, RuleMatch } from './effective-role.js';
import { recomputeRoles, type RoleTrigger } from './recompute-service.js';

/** A rule as the admin API and the console show it. */
export interface RoleRuleView {
  id: string;
  matchBy: RuleMatch;
  value: string;
  role: PortalRole;
  createdAt: string;
}

export interface RoleRulesView {
  defaultRole: PortalRole;
  items: RoleRuleView[];
}

/** Who changes rules: named in the provisioning-log entries of the roles the change moves, and in the audit trail. */
export interface RoleActor {
  subject: string;
  requestId: string | null;
  audit: AuditActor;
}

/** The audit trail's actions for role rules (issue 19). */
export const ROLE_RULE_ACTIONS = { create: 'role_rule.create', delete: 'role_rule.delete', setDefault: 'role_rule.set_default' } as const;

const RULE_FIELDS = ['matchBy', 'value', 'role'] as const;

/** A refusal of the role-rule service; it carries its own status and reason (src/http/errors.ts renders it). */
export class RoleRuleError extends HttpFailure {
  constructor(status: 400 | 404 | 409, detail: string) {
    super({ status, reason: status === 404 ? 'notFound' : 'invalidInput', detail });
  }
}

const view = (row: RoleRuleRow): RoleRuleView => ({
  id: row.id,
  matchBy: row.match_by,
  value: row.match_value,
  role: row.role,
  createdAt: new Date(row.created_at).toISOString(),
});

const PAGE = 1000;

/**
 * Role rules and the tenant's default role (issue 17). Each change recomputes, in its own transaction, the
 * roles of the accounts it can move, so an account's role never disagrees with the rules that are stored.
 */
export function createRoleRuleService(deps: Pick<Deps, 'database' | 'clock' | 'config'>) {
  const db = deps.database.db;
  const trigger = (actor: RoleActor, status: number, description: string): RoleTrigger => ({
    occurredAt: deps.clock.now(),
    clientId: actor.subject,
    requestId: actor.requestId,
    httpStatus: status,
    description,
    log: deps.config.provisioningLogEnabled,
  });
  /** A refused change is written after its transaction rolled back, in one of its own. */
  const refused = async <T>(entry: Omit<AuditEntryInput, 'outcome'>, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof RoleRuleError) await appendAuditEntry(db, { ...entry, outcome: 'failure', detail: { ...entry.detail, status: err.failure.status, message: err.message } });
      throw err;
    }
  };
  const describe = (r: Pick<RoleRuleRow, 'id' | 'match_by' | 'match_value' | 'role'>) => `rule ${r.id} (${r.match_by} "${r.match_value}" → ${r.role})`;

  return {
    async list(tenantId: string): Promise<RoleRulesView> {
      const [rules, defaultRole] = await Promise.all([listRoleRules(db, tenantId), findDefaultRole(db, tenantId)]);
      return { defaultRole: defaultRole ?? 'read-only', items: rules.map(view) };
    },

    async create(tenantId: string, input: { matchBy: RuleMatch; value: string; role: PortalRole }, actor: RoleActor): Promise<RoleRuleView> {
      const id = randomUUID();
      const entry = { tenantId, actor: actor.audit, action: ROLE_RULE_ACTIONS.create, target: { type: 'role_rule', id } };
      return refused({ ...entry, detail: { matchBy: input.matchBy, role: input.role } }, async () => {
      // PostgreSQL text cannot hold NUL, and no group name contains one.
      if (input.value.includes('\u0000') || input.value.trim() === '') throw new RoleRuleError(400, 'value must be a group displayName or externalId.');
      return db.transaction().execute(async (trx) => {
        let row: RoleRuleRow;
        try {
          row = await insertRoleRule(trx, { tenant_id: tenantId, id, match_by: input.matchBy, match_value: input.value, role: input.role, created_at: deps.clock.now() });
        } catch (err) {
          if (err instanceof RoleRuleTaken) throw new RoleRuleError(409, err.message);
          if (err instanceof RoleRuleTenantMissing) throw new RoleRuleError(404, err.message);
          throw err;
        }
        const affected = await accountsInGroupsNamed(trx, tenantId, row.match_by, row.match_value);
        await recomputeRoles(trx, tenantId, affected, trigger(actor, 201, `Role ${describe(row)} created by ${actor.subject}.`));
        const created = view(row);
        await appendAuditEntry(trx, { ...entry, outcome: 'success', changes: fieldChanges(undefined, created, RULE_FIELDS) });
        return created;
      });
      });
    },

    async delete(tenantId: string, id: string, actor: RoleActor): Promise<void> {
      const entry = { tenantId, actor: actor.audit, action: ROLE_RULE_ACTIONS.delete, target: { type: 'role_rule', id } };
      await refused(entry, () =>
        db.transaction().execute(async (trx) => {
          const row = await deleteRoleRule(trx, tenantId, id);
          if (!row) throw new RoleRuleError(404, `No role rule ${id} in this tenant.`);
          const affected = await accountsInGroupsNamed(trx, tenantId, row.match_by, row.match_value);
          await recomputeRoles(trx, tenantId, affected, trigger(actor, 204, `Role ${describe(row)} deleted by ${actor.subject}.`));
          await appendAuditEntry(trx, { ...entry, outcome: 'success', changes: fieldChanges(view(row), undefined, RULE_FIELDS) });
        }),
      );
    },

    async get(tenantId: string, id: string): Promise<RoleRuleView> {
      const row = await findRoleRule(db, tenantId, id);
      if (!row) throw new RoleRuleError(404, `No role rule ${id} in this tenant.`);
      return view(row);
    },

    /** Sets the default role and recomputes every account of the tenant (those at the default move with it). */
    async setDefault(tenantId: string, role: PortalRole, actor: RoleActor): Promise<{ defaultRole: PortalRole }> {
      const entry = { tenantId, actor: actor.audit, action: ROLE_RULE_ACTIONS.setDefault, target: { type: 'tenant', id: tenantId } };
      return refused(entry, () => db.transaction().execute(async (trx) => {
        const before = await setDefaultRole(trx, tenantId, role);
        if (!before) throw new RoleRuleError(404, 'The tenant does not exist.');
        // Saving the role it already has changes nothing, so there is nothing to record.
        if (before.old === role) return { defaultRole: role };
        await appendAuditEntry(trx, { ...entry, outcome: 'success', changes: { defaultRole: { old: before.old, new: role } } });
        const why = trigger(actor, 200, `Tenant default role changed from ${before.old} to ${role} by ${actor.subject}.`);
        for (let after: string | undefined; ; ) {
          const ids = await accountIdsPage(trx, tenantId, after, PAGE);
          await recomputeRoles(trx, tenantId, ids, why);
          if (ids.length < PAGE) break;
          after = ids[ids.length - 1];
        }
        return { defaultRole: role };
      }));
    },
  };
}

export type RoleRuleService = ReturnType<typeof createRoleRuleService>;
