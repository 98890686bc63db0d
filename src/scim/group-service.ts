import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import type { AttributeChange, Operation } from '../provisioning-log/entry.js';
import {
  addMembers,
  findMissingAccounts,
  listMembersOfGroups,
  removeMembers,
  replaceMembers,
  type MemberRef,
} from '../store/group-members.js';
import {
  deleteGroup,
  findGroupById,
  GROUP_SORT_COLUMNS,
  GroupNameTaken,
  insertGroup,
  listGroups,
  lockGroupById,
  updateGroup,
  type GroupRecord,
  type GroupSortColumn,
} from '../store/groups.js';
import type { DB } from '../store/tables.js';
import { listRoleRules } from '../store/role-rules.js';
import { recomputeRoles } from '../roles/recompute-service.js';
import { listGroupMembers } from '../store/group-members.js';
import { groupNotFound, invalidValue, uniqueness } from './errors.js';
import { compileFilter, parseFilter } from './filter.js';
import { GROUP_FILTER_SCHEMA } from './group-filter.js';
import { memberChanges, needsMembers, renderGroup } from './group-representation.js';
import { checkGroupDocument } from './group-resource.js';
import { planGroupPatch, type GroupPatchStep } from './group-patch.js';
import type { ListParams } from './list.js';
import type { LoggedCalls, ScimCall, Target } from './logged-calls-service.js';
import { checkIfMatch, notModified } from './preconditions.js';
import { compileProjection, etagOf, type Projection } from './representation.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface GroupResult {
  status: number;
  body: Record<string, unknown> | undefined;
  etag: string | undefined;
}

export interface GroupServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  calls: LoggedCalls;
  /** SCIM_MAX_FILTER_LENGTH and SCIM_MAX_PATCH_OPERATIONS (the latter bounds member changes per PATCH too). */
  limits: { maxFilterLength: number; maxPatchOperations: number };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How many refused member ids a 400's detail names; the rest are counted. */
const NAMED_IN_DETAIL = 10;

const targetOf = (row: GroupRecord): Target => ({ id: row.id, userName: row.display_name, externalId: row.external_id });

/** Net membership change of one request: an id added then removed (or the reverse) nets to nothing. */
class MemberDelta {
  private readonly state = new Map<string, 'added' | 'removed'>();
  add(ids: string[]): void {
    for (const id of ids) this.state.get(id) === 'removed' ? this.state.delete(id) : this.state.set(id, 'added');
  }
  remove(ids: string[]): void {
    for (const id of ids) this.state.get(id) === 'added' ? this.state.delete(id) : this.state.set(id, 'removed');
  }
  get added(): string[] {
    return [...this.state].filter(([, s]) => s === 'added').map(([id]) => id);
  }
  get removed(): string[] {
    return [...this.state].filter(([, s]) => s === 'removed').map(([id]) => id);
  }
}

/**
 * The SCIM Groups service (issue 17). Each write runs in one transaction with its provisioning-log entry
 * (through LoggedCalls, as Users do); membership changes go row by row through store/group-members.ts, so a
 * change costs the members it names, and members are read only when the answer shows them.
 */
export function createGroupService(deps: GroupServiceDeps) {
  const { db, clock, calls, limits } = deps;

  /** Refuses the request when a member is not a user of the tenant (400 invalidValue naming them), before any write. */
  async function checkMembers(trx: Db, tenantId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const missing = await findMissingAccounts(trx, tenantId, ids);
    if (missing.length === 0) return;
    const named = missing.slice(0, NAMED_IN_DETAIL).map((id) => `"${id.slice(0, 64)}"`).join(', ');
    const more = missing.length > NAMED_IN_DETAIL ? ` and ${missing.length - NAMED_IN_DETAIL} more` : '';
    throw invalidValue(`Members must be users of this tenant; not found: ${named}${more}. Nothing was changed.`);
  }

  async function answer(trx: Db, call: ScimCall, row: GroupRecord, status: number, projection: Projection): Promise<GroupResult> {
    const members = needsMembers(projection) ? ((await listMembersOfGroups(trx, call.tenantId, [row.id])).get(row.id) ?? []) : undefined;
    const body = compileProjection(projection.attributes, projection.excluded)(renderGroup(row, call, members));
    return { status, body, etag: etagOf(row.version) };
  }

  async function lockForWrite(trx: Transaction<DB>, call: ScimCall, id: string, ifMatch: string | undefined): Promise<GroupRecord> {
    const row = UUID.test(id) ? await lockGroupById(trx, call.tenantId, id) : undefined;
    if (!row) throw groupNotFound(id);
    checkIfMatch(ifMatch, row.version);
    return row;
  }

  /** Writes the group's fields and bumps its version; a taken name is 409 uniqueness. */
  async function save(trx: Transaction<DB>, call: ScimCall, row: GroupRecord, fields: { displayName: string; externalId: string | null }): Promise<GroupRecord> {
    try {
      const updated = await updateGroup(trx, call.tenantId, row.id, { display_name: fields.displayName, external_id: fields.externalId }, row.version + 1, clock.now());
      if (!updated) throw groupNotFound(row.id);
      return updated;
    } catch (err) {
      throw err instanceof GroupNameTaken ? uniqueness(err.message) : err;
    }
  }

  const fieldChanges = (row: GroupRecord, fields: { displayName: string; externalId: string | null }): AttributeChange[] => [
    ...(fields.displayName !== row.display_name ? [{ attribute: 'displayName', old: row.display_name, new: fields.displayName }] : []),
    ...(fields.externalId !== row.external_id
      ? [{ attribute: 'externalId', ...(row.external_id !== null ? { old: row.external_id } : {}), ...(fields.externalId !== null ? { new: fields.externalId } : {}) }]
      : []),
  ];

  /** Applies PATCH steps in order; each touches only the rows it names. */
  /**
   * Recomputes the portal roles of the accounts a membership change or rename can move (issue 17), in the
   * group write's transaction, each change logged with this request as its cause. No rule: no group decides a role.
   */
  async function recomputeMemberRoles(trx: Transaction<DB>, call: ScimCall, ids: readonly string[], status: number, description: string): Promise<void> {
    if (ids.length === 0 || (await listRoleRules(trx, call.tenantId)).length === 0) return;
    await recomputeRoles(trx, call.tenantId, ids, {
      occurredAt: clock.now(),
      clientId: call.clientId,
      requestId: call.requestId,
      httpStatus: status,
      description,
      log: calls.logEnabled,
    });
  }

  const memberIds = async (trx: Transaction<DB>, tenantId: string, groupId: string): Promise<string[]> =>
    (await listGroupMembers(trx, tenantId, groupId)).map((m) => m.id);

  async function applySteps(trx: Transaction<DB>, tenantId: string, groupId: string, steps: GroupPatchStep[], delta: MemberDelta): Promise<void> {
    const now = clock.now();
    for (const step of steps) {
      if (step.kind === 'addMembers') delta.add(await addMembers(trx, tenantId, groupId, step.ids, now));
      else if (step.kind === 'removeMembers') delta.remove(await removeMembers(trx, tenantId, groupId, step.ids));
      else if (step.kind === 'removeAllMembers' || step.kind === 'replaceMembers') {
        const { added, removed } = await replaceMembers(trx, tenantId, groupId, step.kind === 'replaceMembers' ? step.ids : [], now);
        delta.remove(removed);
        delta.add(added);
      }
    }
  }

  /** A PATCH is named by what it did: only members added, only members removed, or an update. */
  function patchOperation(fields: AttributeChange[], delta: MemberDelta, steps: GroupPatchStep[]): Operation {
    if (fields.length > 0) return 'Update group';
    const kinds = new Set(steps.map((s) => s.kind));
    if (kinds.size === 1 && kinds.has('addMembers')) return 'Add members';
    if ([...kinds].every((k) => k === 'removeMembers' || k === 'removeAllMembers')) return 'Remove members';
    if (delta.removed.length === 0 && delta.added.length > 0) return 'Add members';
    if (delta.added.length === 0 && delta.removed.length > 0) return 'Remove members';
    return 'Update group';
  }

  return {
    flushLog: () => calls.flush(),

    async create(call: ScimCall, body: unknown, projection: Projection): Promise<GroupResult> {
      const target: Target = { id: null, userName: nameIn(body), externalId: externalIdIn(body) };
      return calls.run<GroupResult>(call, 'Create group', target, 'transaction', async (trx) => {
        const document = checkGroupDocument(body);
        await checkMembers(trx, call.tenantId, document.members);
        let row: GroupRecord;
        try {
          row = await insertGroup(trx, call.tenantId, randomUUID(), { display_name: document.displayName, external_id: document.externalId }, clock.now());
        } catch (err) {
          throw err instanceof GroupNameTaken ? uniqueness(err.message) : err;
        }
        Object.assign(target, targetOf(row));
        const added = await addMembers(trx, call.tenantId, row.id, document.members, clock.now());
        await recomputeMemberRoles(trx, call, added, 201, `Create group "${row.display_name}" with ${added.length} member(s).`);
        const changes: AttributeChange[] = [
          { attribute: 'displayName', new: row.display_name },
          ...(row.external_id !== null ? [{ attribute: 'externalId', new: row.external_id }] : []),
          ...memberChanges(added, []),
        ];
        return { result: await answer(trx, call, row, 201, projection), status: 201, operation: 'Create group', changes };
      });
    },

    async get(call: ScimCall, id: string, projection: Projection, ifNoneMatch: string | undefined): Promise<GroupResult> {
      const target: Target = { id: UUID.test(id) ? id : null, userName: null, externalId: null };
      return calls.run<GroupResult>(call, 'Get', target, 'read', async (trx) => {
        const row = UUID.test(id) ? await findGroupById(trx, call.tenantId, id) : undefined;
        if (!row) throw groupNotFound(id);
        Object.assign(target, targetOf(row));
        if (notModified(ifNoneMatch, row.version)) {
          return { result: { status: 304, body: undefined, etag: etagOf(row.version) }, status: 304, operation: 'Get', changes: null };
        }
        return { result: await answer(trx, call, row, 200, projection), status: 200, operation: 'Get', changes: null };
      });
    },

    async list(call: ScimCall, params: ListParams, projection: Projection): Promise<{ total: number; resources: Record<string, unknown>[] }> {
      const target: Target = { id: null, userName: null, externalId: null };
      return calls.run(call, 'Query', target, 'read', async (trx) => {
        const filter = params.filter === undefined || params.filter.trim() === '' ? undefined : parseFilter(params.filter, limits.maxFilterLength);
        if (params.sortBy !== undefined && !GROUP_SORT_COLUMNS.has(params.sortBy)) throw invalidValue('"sortBy" must name a sortable attribute of a Group.');
        const { rows, total } = await listGroups(trx, call.tenantId, {
          where: filter ? compileFilter(filter, GROUP_FILTER_SCHEMA) : undefined,
          sortBy: params.sortBy as GroupSortColumn | undefined,
          descending: params.descending,
          offset: params.startIndex - 1,
          limit: params.count,
        });
        if (rows.length === 1 && rows[0]) Object.assign(target, targetOf(rows[0]));
        const members: Map<string, MemberRef[]> | undefined = needsMembers(projection)
          ? await listMembersOfGroups(trx, call.tenantId, rows.map((r) => r.id))
          : undefined;
        const shape = compileProjection(projection.attributes, projection.excluded);
        const resources = rows.map((row) => shape(renderGroup(row, call, members ? (members.get(row.id) ?? []) : undefined)));
        return { result: { total, resources }, status: 200, operation: 'Query', changes: null };
      });
    },

    async replace(call: ScimCall, id: string, body: unknown, ifMatch: string | undefined, projection: Projection): Promise<GroupResult> {
      const target: Target = { id: UUID.test(id) ? id : null, userName: nameIn(body), externalId: externalIdIn(body) };
      return calls.run<GroupResult>(call, 'Update group', target, 'transaction', async (trx) => {
        const row = await lockForWrite(trx, call, id, ifMatch);
        Object.assign(target, targetOf(row));
        const document = checkGroupDocument(body);
        await checkMembers(trx, call.tenantId, document.members);
        const { added, removed } = await replaceMembers(trx, call.tenantId, row.id, document.members, clock.now());
        const changes = [...fieldChanges(row, document), ...memberChanges(added, removed)];
        const updated = changes.length === 0 ? row : await save(trx, call, row, document);
        Object.assign(target, targetOf(updated));
        // A rename can change which rules name the group: then every member's role is in question.
        const renamed = fieldChanges(row, document).length > 0;
        const moved = renamed ? [...(await memberIds(trx, call.tenantId, row.id)), ...removed] : [...added, ...removed];
        await recomputeMemberRoles(trx, call, moved, 200, `PUT of group "${updated.display_name}": ${added.length} added, ${removed.length} removed${renamed ? ', renamed' : ''}.`);
        return { result: await answer(trx, call, updated, 200, projection), status: 200, operation: 'Update group', changes };
      });
    },

    /**
     * PATCH answers 204 with the new ETag (RFC 7644 §3.5.2 allows it), so a member change never reads the
     * member list back; with `attributes`/`excludedAttributes` it answers 200 with the group so shaped.
     */
    async patch(call: ScimCall, id: string, body: unknown, ifMatch: string | undefined, projection: Projection | undefined): Promise<GroupResult> {
      const target: Target = { id: UUID.test(id) ? id : null, userName: null, externalId: null };
      let operation: Operation = 'Update group';
      return calls.run<GroupResult>(call, () => operation, target, 'transaction', async (trx) => {
        const steps = planGroupPatch(body, limits.maxPatchOperations);
        // Named by what it asks before it runs, so a refused PATCH's failure entry says what was attempted.
        const asksFields = steps.some((s) => s.kind === 'setDisplayName' || s.kind === 'setExternalId');
        operation = patchOperation(asksFields ? [{ attribute: 'displayName' }] : [], new MemberDelta(), steps);
        const row = await lockForWrite(trx, call, id, ifMatch);
        Object.assign(target, targetOf(row));
        const named = steps.flatMap((s) => (s.kind === 'addMembers' || s.kind === 'replaceMembers' ? s.ids : []));
        await checkMembers(trx, call.tenantId, named);
        const fields = { displayName: row.display_name, externalId: row.external_id };
        for (const step of steps) {
          if (step.kind === 'setDisplayName') fields.displayName = step.value;
          if (step.kind === 'setExternalId') fields.externalId = step.value;
        }
        const delta = new MemberDelta();
        await applySteps(trx, call.tenantId, row.id, steps, delta);
        const changedFields = fieldChanges(row, fields);
        const changes = [...changedFields, ...memberChanges(delta.added, delta.removed)];
        operation = patchOperation(changedFields, delta, steps);
        // Nothing changed (Entra re-sends PATCHes): the version stays, so the client's ETag stays valid.
        const updated = changes.length === 0 ? row : await save(trx, call, row, fields);
        Object.assign(target, targetOf(updated));
        const moved = changedFields.length > 0 ? [...(await memberIds(trx, call.tenantId, row.id)), ...delta.removed] : [...delta.added, ...delta.removed];
        await recomputeMemberRoles(trx, call, moved, projection ? 200 : 204,
          `PATCH of group "${updated.display_name}": ${delta.added.length} added, ${delta.removed.length} removed${changedFields.length > 0 ? ', renamed' : ''}.`);
        const result = projection ? await answer(trx, call, updated, 200, projection) : { status: 204, body: undefined, etag: etagOf(updated.version) };
        return { result, status: result.status, operation, changes };
      });
    },

    async delete(call: ScimCall, id: string, ifMatch: string | undefined): Promise<GroupResult> {
      const target: Target = { id: UUID.test(id) ? id : null, userName: null, externalId: null };
      return calls.run<GroupResult>(call, 'Delete group', target, 'transaction', async (trx) => {
        const row = await lockForWrite(trx, call, id, ifMatch);
        Object.assign(target, targetOf(row));
        const members = await memberIds(trx, call.tenantId, row.id);
        await deleteGroup(trx, call.tenantId, row.id);
        await recomputeMemberRoles(trx, call, members, 204, `Delete group "${row.display_name}".`);
        return { result: { status: 204, body: undefined, etag: undefined }, status: 204, operation: 'Delete group', changes: null };
      });
    },
  };
}

export type ScimGroupService = ReturnType<typeof createGroupService>;

const stringField = (body: unknown, key: string): string | null => {
  if (typeof body !== 'object' || body === null) return null;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' ? value.slice(0, 256) : null;
};
const nameIn = (body: unknown) => stringField(body, 'displayName');
const externalIdIn = (body: unknown) => stringField(body, 'externalId');
