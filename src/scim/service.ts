import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import { diffDocuments } from '../provisioning-log/changes.js';
import type { AttributeChange, Operation } from '../provisioning-log/entry.js';
import { entryToRow, patchOperation } from '../provisioning-log/scim-entry.js';
import {
  deleteAccount,
  findAccountById,
  findDisplayNames,
  insertAccount,
  listAccounts,
  lockAccountById,
  updateAccount,
  userNameTaken,
  type AccountRecord,
  type AccountValues,
  type EntryDraft,
} from '../store/accounts.js';
import { ReadEntryWriter } from '../provisioning-log/read-entries-service.js';
import { recordFormerNames } from '../store/account-former-names.js';
import { insertProvisioningLogEntry } from '../store/provisioning-log.js';
import { findDefaultRole } from '../store/role-rules.js';
import { appRoleOf, describeCause, effectiveRole } from '../roles/effective-role.js';
import { recomputeRoles } from '../roles/recompute-service.js';
import type { DB } from '../store/tables.js';
import { normaliseEntraPatch } from './entra-compat.js';
import { ScimError, uniqueness, userNotFound } from './errors.js';
import { compileFilter, parseFilter, userNameEquality } from './filter.js';
import type { ListParams } from './list.js';
import { applyPatch } from './patch.js';
import { checkIfMatch, notModified } from './preconditions.js';
import { compileProjection, etagOf, managerIdOf, project, renderUser, type Projection } from './representation.js';
import { checkUserDocument, type AccountFields, type UserDocument } from './user-resource.js';

/** Who asks and where answers point: built by the routes from the principal and the request. */
export interface ScimCall {
  tenantId: string;
  clientId: string;
  requestId: string;
  /** Absolute URL of the Users endpoint, for meta.location. */
  usersUrl: string;
}

export interface UserResult {
  status: number;
  body: Record<string, unknown> | undefined;
  etag: string | undefined;
}

interface Outcome<T> {
  result: T;
  status: number;
  operation: Operation;
  changes: AttributeChange[] | null;
  /** True when the work already wrote the entry with its change (same statement). */
  logged?: boolean;
}

/** Builds the success entry for a change, or undefined when logging is off. */
type Drafter = (status: number, operation: Operation, changes: AttributeChange[] | null) => EntryDraft | undefined;

/** read: no transaction, entry batched; statement: one atomic statement carries change and entry; transaction: locked row. */
type Mode = 'read' | 'statement' | 'transaction';

/** What the log entry names as the target; filled in as the request learns it (so failures name it too). */
interface Target {
  id: string | null;
  userName: string | null;
  externalId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PG_UNIQUE_VIOLATION = '23505';

const toValues = (fields: AccountFields, document: UserDocument): AccountValues => ({
  user_name: fields.userName,
  external_id: fields.externalId,
  given_name: fields.givenName,
  family_name: fields.familyName,
  display_name: fields.displayName,
  email: fields.email,
  active: fields.active,
  resource: document,
});

/** True when both `roles` lists assign the same app role (src/roles/effective-role.ts), whatever else changed. */
const sameAppRole = (before: unknown, after: unknown): boolean => {
  const a = appRoleOf(before);
  const b = appRoleOf(after);
  return a?.role === b?.role && a?.value === b?.value;
};

const targetOf = (row: AccountRecord): Target => ({ id: row.id, userName: row.user_name, externalId: row.external_id });

/**
 * The SCIM Users service: each call runs in one transaction and writes its provisioning-log entry in that
 * same transaction (issue 5), so a change never lands without its entry; a failure's entry is written after
 * the rollback.
 */
export class ScimUserService {
  private readonly lateEntries: ReadEntryWriter;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly logEnabled: boolean,
    onLogError: (err: unknown, lost: number) => void = () => undefined,
    /** Told of every operation as its entry is written (metrics: scim_operations_total). */
    private readonly onOperation: (tenantId: string, operation: Operation, outcome: 'success' | 'failure', durationMs: number) => void = () => undefined,
    /** Request-size limits from config (SCIM_MAX_FILTER_LENGTH, SCIM_MAX_PATCH_OPERATIONS). */
    private readonly limits: { maxFilterLength: number; maxPatchOperations: number } = { maxFilterLength: 2048, maxPatchOperations: 1000 },
  ) {
    this.lateEntries = new ReadEntryWriter(db, onLogError);
  }

  /** Commits the entries of reads and failures still waiting in the batcher (shutdown, tests). */
  flushLog(): Promise<void> {
    return this.lateEntries.flush();
  }

  async create(call: ScimCall, body: unknown): Promise<UserResult> {
    const target: Target = { id: null, userName: userNameIn(body), externalId: externalIdIn(body) };
    return this.logged<UserResult>(call, 'Create', target, 'statement', async (db, draft) => {
      const { document, fields } = checkUserDocument(body);
      const changes = diffDocuments(undefined, document);
      // A new account is in no group yet: its role is its Entra app role, else the tenant's default.
      const initial = effectiveRole({ roles: document['roles'], groups: [], rules: [], defaultRole: (await findDefaultRole(db, call.tenantId)) ?? 'read-only' });
      // Starting at the tenant default is no change of role; an app role assigning one at creation is logged.
      const roleDraft = initial.cause.kind === 'default' ? undefined : draft(201, 'Change role', [{ attribute: 'role', new: initial.role }]);
      const row = await insertAccount(db, call.tenantId, randomUUID(), toValues(fields, document), this.clock.now(), draft(201, 'Create', changes), {
        role: initial.role,
        cause: initial.cause,
        ...(roleDraft ? { entry: { ...roleDraft, detail: `none → ${initial.role}. ${describeCause(initial.cause, initial.role)} Caused by: the account's creation.` } } : {}),
      });
      if (!row) throw uniqueness(`userName "${fields.userName}" is already taken in this tenant.`);
      Object.assign(target, targetOf(row));
      return { result: await this.answer(db, call, row, 201), status: 201, operation: 'Create', changes, logged: true };
    });
  }

  async get(call: ScimCall, id: string, projection: Projection, ifNoneMatch: string | undefined): Promise<UserResult> {
    const target: Target = { id: UUID.test(id) ? id : null, userName: null, externalId: null };
    return this.logged<UserResult>(call, 'Get', target, 'read', async (db) => {
      const row = UUID.test(id) ? await findAccountById(db, call.tenantId, id) : undefined;
      if (!row) throw userNotFound(id);
      Object.assign(target, targetOf(row));
      if (notModified(ifNoneMatch, row.version)) {
        return { result: { status: 304, body: undefined, etag: etagOf(row.version) }, status: 304, operation: 'Get', changes: null };
      }
      const answer = await this.answer(db, call, row, 200);
      return { result: { ...answer, body: project(answer.body ?? {}, projection) }, status: 200, operation: 'Get', changes: null };
    });
  }

  async list(call: ScimCall, params: ListParams, projection: Projection): Promise<{ total: number; resources: Record<string, unknown>[] }> {
    const target: Target = { id: null, userName: null, externalId: null };
    return this.logged(call, 'Query', target, 'read', async (db) => {
      const filter = params.filter === undefined || params.filter.trim() === '' ? undefined : parseFilter(params.filter, this.limits.maxFilterLength);
      const lookup = filter ? userNameEquality(filter) : undefined;
      if (lookup !== undefined) target.userName = lookup;
      const { rows, total } = await listAccounts(db, call.tenantId, {
        where: filter ? compileFilter(filter) : undefined,
        sortBy: params.sortBy,
        descending: params.descending,
        offset: params.startIndex - 1,
        limit: params.count,
      });
      if (rows.length === 1 && rows[0]) Object.assign(target, targetOf(rows[0]));
      const managerNames = await this.managerNames(db, call.tenantId, rows);
      const shape = compileProjection(projection.attributes, projection.excluded);
      const resources = rows.map((row) => shape(renderUser(row, call.usersUrl, managerNames)));
      // Entra's Test Connection is a userName lookup of a random value that finds nobody.
      const operation: Operation = lookup !== undefined && total === 0 ? 'Test connection' : 'Query';
      return { result: { total, resources }, status: 200, operation, changes: null };
    });
  }

  async replace(call: ScimCall, id: string, body: unknown, ifMatch: string | undefined): Promise<UserResult> {
    const target: Target = { id: UUID.test(id) ? id : null, userName: userNameIn(body), externalId: externalIdIn(body) };
    return this.logged<UserResult>(call, 'Replace', target, 'transaction', async (trx, draft) => {
      const row = await this.lockForWrite(trx, call, id, ifMatch);
      Object.assign(target, targetOf(row));
      const { document, fields } = checkUserDocument(body);
      return this.write(trx, call, row, document, fields, 'Replace', target, draft);
    });
  }

  async patch(call: ScimCall, id: string, body: unknown, ifMatch: string | undefined): Promise<UserResult> {
    const target: Target = { id: UUID.test(id) ? id : null, userName: null, externalId: null };
    let operation: Operation = 'Update';
    return this.logged<UserResult>(call, () => operation, target, 'transaction', async (trx, draft) => {
      const operations = normaliseEntraPatch(body, this.limits.maxPatchOperations);
      const activeOp = operations.find((o) => o.path === 'active' && o.op !== 'remove');
      if (activeOp) operation = activeOp.value === false ? 'Disable' : 'Enable';
      const row = await this.lockForWrite(trx, call, id, ifMatch);
      Object.assign(target, targetOf(row));
      const { document, fields } = checkUserDocument(applyPatch(row.resource, operations));
      operation = patchOperation(row.active, fields.active);
      return this.write(trx, call, row, document, fields, operation, target, draft);
    });
  }

  async delete(call: ScimCall, id: string, ifMatch: string | undefined): Promise<UserResult> {
    const target: Target = { id: UUID.test(id) ? id : null, userName: null, externalId: null };
    return this.logged<UserResult>(call, 'Delete', target, 'transaction', async (trx) => {
      const row = await this.lockForWrite(trx, call, id, ifMatch);
      Object.assign(target, targetOf(row));
      // The log finds this user's entries by the names it had; once deleted, only this row remembers them.
      await recordFormerNames(trx, call.tenantId, row.id, { userName: row.user_name, externalId: row.external_id }, this.clock.now());
      await deleteAccount(trx, call.tenantId, row.id);
      return { result: { status: 204, body: undefined, etag: undefined }, status: 204, operation: 'Delete', changes: null };
    });
  }

  private async lockForWrite(trx: Transaction<DB>, call: ScimCall, id: string, ifMatch: string | undefined): Promise<AccountRecord> {
    const row = UUID.test(id) ? await lockAccountById(trx, call.tenantId, id) : undefined;
    if (!row) throw userNotFound(id);
    checkIfMatch(ifMatch, row.version);
    return row;
  }

  private async write(
    trx: Transaction<DB>,
    call: ScimCall,
    row: AccountRecord,
    document: UserDocument,
    fields: AccountFields,
    operation: Operation,
    target: Target,
    draft: Drafter,
  ): Promise<Outcome<UserResult>> {
    if (fields.userName.toLowerCase() !== row.user_name.toLowerCase() && (await userNameTaken(trx, call.tenantId, fields.userName, row.id))) {
      throw uniqueness(`userName "${fields.userName}" is already taken in this tenant.`);
    }
    const changes = diffDocuments(row.resource, document);
    if (changes.length === 0 && fields.userName === row.user_name) {
      // Nothing changed (Entra re-sends PATCHes): keep the version, so the client's ETag stays valid.
      const entry = draft(200, operation, changes);
      if (entry) await insertProvisioningLogEntry(trx, call.tenantId, { ...entry, target_id: row.id, target_user_name: row.user_name, target_external_id: row.external_id });
      return { result: await this.answer(trx, call, row, 200), status: 200, operation, changes, logged: true };
    }
    if (fields.userName !== row.user_name || fields.externalId !== row.external_id) {
      // Renamed: the older entries carry the old names, which only this row will remember.
      await recordFormerNames(trx, call.tenantId, row.id, { userName: row.user_name, externalId: row.external_id }, this.clock.now());
    }
    let updated = await updateAccount(trx, call.tenantId, row.id, toValues(fields, document), row.version + 1, this.clock.now(), draft(200, operation, changes));
    if (!updated) throw userNotFound(row.id);
    if (!sameAppRole(row.resource['roles'], document['roles'])) {
      // The Entra app role decides the portal role first: recomputed (and logged) in this transaction.
      const moved = await recomputeRoles(trx, call.tenantId, [row.id], {
        occurredAt: this.clock.now(),
        clientId: call.clientId,
        requestId: call.requestId,
        httpStatus: 200,
        description: `${operation} of the user's Entra app roles ("roles").`,
        log: this.logEnabled,
        versionBumped: true,
      });
      if (moved.length > 0) updated = (await findAccountById(trx, call.tenantId, row.id)) ?? updated;
    }
    Object.assign(target, targetOf(updated));
    return { result: await this.answer(trx, call, updated, 200), status: 200, operation, changes, logged: true };
  }

  private async answer(db: Kysely<DB> | Transaction<DB>, call: ScimCall, row: AccountRecord, status: number): Promise<UserResult> {
    const managerNames = await this.managerNames(db, call.tenantId, [row]);
    return { status, body: renderUser(row, call.usersUrl, managerNames), etag: etagOf(row.version) };
  }

  /** The display names of the managers of these users: one query for a page, none when no user has a manager. */
  private managerNames(db: Kysely<DB> | Transaction<DB>, tenantId: string, rows: AccountRecord[]): Promise<Map<string, string>> {
    const ids = [...new Set(rows.map((row) => managerIdOf(row.resource)).filter((id): id is string => id !== undefined))];
    return findDisplayNames(db, tenantId, ids);
  }

  /**
   * Runs `work` (in a transaction when it writes) and records the provisioning-log entry: inside the same
   * transaction on success, after the rollback on failure.
   */
  private async logged<T>(
    call: ScimCall,
    operation: Operation | (() => Operation),
    target: Target,
    mode: Mode,
    work: (db: Transaction<DB>, draft: Drafter) => Promise<Outcome<T>>,
  ): Promise<T> {
    const started = performance.now();
    const entry = (status: number, op: Operation, extra: { scimType?: string | null; detail?: string | null; changes?: AttributeChange[] | null }) =>
      entryToRow({
        tenantId: call.tenantId,
        occurredAt: this.clock.now(),
        clientId: call.clientId,
        requestId: call.requestId,
        operation: op,
        target,
        httpStatus: status,
        outcome: status < 400 ? 'success' : 'failure',
        scimType: extra.scimType ?? null,
        detail: extra.detail ?? null,
        changes: extra.changes ?? null,
        durationMs: performance.now() - started,
      });
    try {
      const draft: Drafter = (status, op, changes) => {
        if (!this.logEnabled) return undefined;
        const { target_id: _i, target_user_name: _u, target_external_id: _e, ...rest } = entry(status, op, { changes });
        return rest;
      };
      let finished: { operation: Operation; status: number } | undefined;
      const run = async (db: Transaction<DB>): Promise<T> => {
        const outcome = await work(db, draft);
        finished = { operation: outcome.operation, status: outcome.status };
        if (this.logEnabled && !outcome.logged) {
          const row = entry(outcome.status, outcome.operation, { changes: outcome.changes });
          // A write's entry commits in its transaction; a read's goes to the batcher.
          if (mode === 'read') this.lateEntries.add({ ...row, tenant_id: call.tenantId });
          else await insertProvisioningLogEntry(db, call.tenantId, row);
        }
        return outcome.result;
      };
      // Only a locked read-modify-write needs a transaction; the Kysely handle serves the others.
      const result = mode === 'transaction' ? await this.db.transaction().execute(run) : await run(this.db as Transaction<DB>);
      // Counted once committed, so a rolled-back write is counted only as the failure it became.
      if (finished) this.onOperation(call.tenantId, finished.operation, finished.status < 400 ? 'success' : 'failure', performance.now() - started);
      return result;
    } catch (err) {
      const failure = asScimError(err);
      const failedOp = typeof operation === 'function' ? operation() : operation;
      this.onOperation(call.tenantId, failedOp, 'failure', performance.now() - started);
      if (this.logEnabled) {
        const op = typeof operation === 'function' ? operation() : operation;
        const row = entry(failure?.statusCode ?? 500, op, {
          scimType: failure?.scimType ?? null,
          detail: failure?.detail ?? 'Internal error.',
        });
        // After the rollback: nothing to commit with, so it joins the batcher (which never throws).
        this.lateEntries.add({ ...row, tenant_id: call.tenantId });
      }
      throw failure ?? err;
    }
  }
}

function asScimError(err: unknown): ScimError | undefined {
  if (err instanceof ScimError) return err;
  if ((err as { code?: string }).code === PG_UNIQUE_VIOLATION) return uniqueness('userName is already taken in this tenant.');
  return undefined;
}

const stringField = (body: unknown, key: string): string | null => {
  if (typeof body !== 'object' || body === null) return null;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' ? value.slice(0, 256) : null;
};
const userNameIn = (body: unknown) => stringField(body, 'userName');
const externalIdIn = (body: unknown) => stringField(body, 'externalId');
