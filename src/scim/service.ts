import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import { diffDocuments } from '../provisioning-log/changes.js';
import type { AttributeChange, Operation } from '../provisioning-log/entry.js';
import { patchOperation } from '../provisioning-log/scim-entry.js';
import {
  deleteAccount,
  findAccountById,
  findAccountWithGroups,
  findDisplayNames,
  insertAccount,
  insertEntryIfVersion,
  listAccounts,
  lockAccountById,
  updateAccount,
  updateAccountIfVersion,
  userNameTaken,
  type AccountRecord,
  type AccountValues,
  type AccountWithGroups,
  type ListedAccount,
} from '../store/accounts.js';
import { recordFormerNames } from '../store/account-former-names.js';
import { listAccountsByKeyset, type KeyedAccount } from '../store/account-keyset.js';
import { establishCursorKey } from '../store/scim-cursor-key.js';
import { listGroupsOfAccounts, removeAccountFromGroups, type GroupRef } from '../store/group-members.js';
import { insertProvisioningLogEntry } from '../store/provisioning-log.js';
import { appRoleOf, describeCause, effectiveRole } from '../roles/effective-role.js';
import { recomputeRoles } from '../roles/recompute-service.js';
import type { DB } from '../store/tables.js';
import { normaliseEntraPatch } from './entra-compat.js';
import { uniqueness, userNotFound } from './errors.js';
import { LoggedCalls, type Drafter, type Mode, type Outcome, type ScimCall, type Target } from './logged-calls-service.js';
import { CursorCodec, type CursorScope } from './cursor.js';
import { compileFilter, parseFilter, userNameEquality } from './filter.js';
import type { ListParams } from './list.js';
import { applyPatch } from './patch.js';
import { checkIfMatch, notModified } from './preconditions.js';
import { compileProjection, etagOf, managerIdOf, project, renderUser, type Projection } from './representation.js';
import { checkUserDocument, type AccountFields, type UserDocument } from './user-resource.js';
import { ANSWERS_AS_STORED, parsedResource, renderStoredUserText } from './user-text.js';

/** Optimistic attempts of a PUT/PATCH (read, apply, write if the version still holds) before it takes the row lock. */
const OPTIMISTIC_ATTEMPTS = 3;

export type { ScimCall } from './logged-calls-service.js';

/** A page of users: by startIndex with the exact total, or by RFC 9865 cursor with the cursors around it. */
export interface UserPage {
  total: number | undefined;
  /** Each User as JSON text, ready for the ListResponse (src/scim/user-text.ts). */
  resources: string[];
  nextCursor?: string;
  previousCursor?: string;
}

/** The rows of a page before rendering, with what the page says around them. */
interface ListedRows {
  rows: ListedAccount[];
  total: number | undefined;
  nextCursor?: string;
  previousCursor?: string;
}

export interface UserResult {
  status: number;
  body: Record<string, unknown> | undefined;
  etag: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** Groups as read with the row (json, so ids arrive as text): the shape renderUser lists. */
const groupList = (groups: readonly GroupRef[]): GroupRef[] => groups.map((g) => ({ id: g.id, displayName: g.displayName }));

const targetOf = (row: Pick<AccountRecord, 'id' | 'user_name' | 'external_id'>): Target => ({ id: row.id, userName: row.user_name, externalId: row.external_id });

/**
 * The SCIM Users service: each call runs in one transaction and writes its provisioning-log entry in that
 * same transaction (issue 5), so a change never lands without its entry; a failure's entry is written after
 * the rollback.
 */
export class ScimUserService {
  private readonly calls: LoggedCalls;
  private cursors: Promise<CursorCodec> | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
    private readonly logEnabled: boolean,
    onLogError: (err: unknown, lost: number) => void = () => undefined,
    /** Told of every operation as its entry is written (metrics: scim_operations_total). */
    onOperation: (tenantId: string, operation: Operation, outcome: 'success' | 'failure', durationMs: number) => void = () => undefined,
    /** Request-size limits from config (SCIM_MAX_FILTER_LENGTH, SCIM_MAX_PATCH_OPERATIONS). */
    private readonly limits: { maxFilterLength: number; maxPatchOperations: number } = { maxFilterLength: 2048, maxPatchOperations: 1000 },
    calls?: LoggedCalls,
  ) {
    this.calls = calls ?? new LoggedCalls({ db, clock, logEnabled, onLogError, onOperation });
  }

  /** Commits the entries of reads and failures still waiting in the batcher (shutdown, tests). */
  flushLog(): Promise<void> {
    return this.calls.flush();
  }

  async create(call: ScimCall, body: unknown): Promise<UserResult> {
    const target: Target = { id: null, userName: userNameIn(body), externalId: externalIdIn(body) };
    return this.logged<UserResult>(call, 'Create', target, 'statement', async (db, draft) => {
      const { document, fields } = checkUserDocument(body);
      const changes = diffDocuments(undefined, document);
      // A new account is in no group yet: its role is its Entra app role, else the tenant's default, which the
      // insert reads itself (the placeholder below is never the answer when the cause is the default).
      const initial = effectiveRole({ roles: document['roles'], groups: [], rules: [], defaultRole: 'read-only' });
      const fromDefault = initial.cause.kind === 'default';
      // Starting at the tenant default is no change of role; an app role assigning one at creation is logged.
      const roleDraft = fromDefault ? undefined : draft(201, 'Change role', [{ attribute: 'role', new: initial.role }]);
      const row = await insertAccount(db, call.tenantId, randomUUID(), toValues(fields, document), this.clock.now(), draft(201, 'Create', changes), {
        role: fromDefault ? 'tenant default' : initial.role,
        cause: initial.cause,
        ...(roleDraft ? { entry: { ...roleDraft, detail: `none → ${initial.role}. ${describeCause(initial.cause, initial.role)} Caused by: the account's creation.` } } : {}),
      });
      if (!row) throw uniqueness(`userName "${fields.userName}" is already taken in this tenant.`);
      Object.assign(target, targetOf(row));
      // Just created, so in no group: the answer needs no membership read.
      return { result: await this.answer(db, call, { ...row, groups: [] }, 201), status: 201, operation: 'Create', changes, logged: true };
    });
  }

  async get(call: ScimCall, id: string, projection: Projection, ifNoneMatch: string | undefined): Promise<UserResult> {
    const target: Target = { id: UUID.test(id) ? id : null, userName: null, externalId: null };
    return this.logged<UserResult>(call, 'Get', target, 'read', async (db) => {
      const row = UUID.test(id) ? await findAccountWithGroups(db, call.tenantId, id) : undefined;
      if (!row) throw userNotFound(id);
      Object.assign(target, targetOf(row));
      if (notModified(ifNoneMatch, row.version)) {
        return { result: { status: 304, body: undefined, etag: etagOf(row.version) }, status: 304, operation: 'Get', changes: null };
      }
      const answer = await this.answer(db, call, row, 200);
      return { result: { ...answer, body: project(answer.body ?? {}, projection) }, status: 200, operation: 'Get', changes: null };
    });
  }

  /** `cursorQuery` names the query a cursor is bound to (src/scim/cursor.ts); needed when params.cursor is set. */
  async list(call: ScimCall, params: ListParams, projection: Projection, cursorQuery = ''): Promise<UserPage> {
    const target: Target = { id: null, userName: null, externalId: null };
    const codec = params.cursor === undefined ? undefined : await this.cursorCodec();
    return this.logged(call, 'Query', target, 'read', async (db) => {
      const filter = params.filter === undefined || params.filter.trim() === '' ? undefined : parseFilter(params.filter, this.limits.maxFilterLength);
      const lookup = filter ? userNameEquality(filter) : undefined;
      if (lookup !== undefined) target.userName = lookup;
      const where = filter ? compileFilter(filter) : undefined;
      const scope: CursorScope = { tenantId: call.tenantId, query: cursorQuery };
      const page: ListedRows = codec
        ? await this.cursorPage(db, codec, scope, params, where)
        : await listAccounts(db, call.tenantId, { where, asStored: ANSWERS_AS_STORED, sortBy: params.sortBy, descending: params.descending, offset: params.startIndex - 1, limit: params.count });
      const { rows } = page;
      if (rows.length === 1 && rows[0]) Object.assign(target, targetOf(rows[0]));
      const resources = await this.renderPage(db, call, rows, projection);
      // Entra's Test Connection is a userName lookup of a random value that finds nobody.
      const operation: Operation = lookup !== undefined && rows.length === 0 && (page.total ?? 0) === 0 ? 'Test connection' : 'Query';
      const result: UserPage = { total: page.total, resources };
      if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
      if (page.previousCursor !== undefined) result.previousCursor = page.previousCursor;
      return { result, status: 200, operation, changes: null };
    });
  }

  /**
   * A page's Users as JSON text: without a projection, a user whose stored text is already its answer is spliced
   * around that text unparsed (src/scim/user-text.ts); any other is parsed and rendered as a single read is.
   */
  private async renderPage(db: Transaction<DB>, call: ScimCall, rows: ListedAccount[], projection: Projection): Promise<string[]> {
    const asStored = projection.attributes === undefined && projection.excluded === undefined;
    const parsed = new Map<ListedAccount, AccountWithGroups>();
    for (const row of rows) {
      if (asStored && row.as_stored) continue;
      const { id, user_name, external_id, active, version, role, groups } = row;
      // The ISO texts are pg's Date to the millisecond, so a rendered meta is the same either way.
      const dates = { created_at: new Date(row.created), updated_at: new Date(row.last_modified) };
      parsed.set(row, { id, user_name, external_id, active, version, role, groups, ...dates, resource: parsedResource(row) });
    }
    const managerNames = await this.managerNames(db, call.tenantId, [...parsed.values()]);
    const shape = compileProjection(projection.attributes, projection.excluded);
    return rows.map((row) => {
      const groups = { list: groupList(row.groups), groupsUrl: call.groupsUrl };
      const record = parsed.get(row);
      return record ? JSON.stringify(shape(renderUser(record, call.usersUrl, managerNames, groups))) : renderStoredUserText(row, call.usersUrl, groups);
    });
  }

  /**
   * An RFC 9865 page: one row more than asked tells whether another page follows, so the last page carries no
   * nextCursor (its absence ends the walk, §2.2). No totalResults: counting is a walk over every row, and a
   * cursor page is meant to cost the same at any depth and any tenant size.
   */
  private async cursorPage(
    db: Transaction<DB>,
    codec: CursorCodec,
    scope: CursorScope,
    params: ListParams,
    where: ReturnType<typeof compileFilter> | undefined,
  ): Promise<ListedRows & { rows: KeyedAccount[] }> {
    const state = params.cursor ? codec.open(scope, params.cursor, params.count) : undefined;
    if (params.count === 0) return { rows: [], total: undefined };
    const backwards = state?.direction === 'previous';
    const fetched = await listAccountsByKeyset(db, scope.tenantId, {
      where,
      asStored: ANSWERS_AS_STORED,
      descending: params.descending,
      after: state?.position,
      backwards,
      limit: params.count + 1,
    });
    const more = fetched.length > params.count;
    const rows = fetched.slice(0, params.count);
    if (backwards) rows.reverse();
    const first = rows[0];
    const last = rows[rows.length - 1];
    const mark = (direction: 'next' | 'previous', row: KeyedAccount) =>
      codec.seal(scope, { direction, count: params.count, position: { createdUs: BigInt(row.created_us), id: row.id } });
    const page: ListedRows & { rows: KeyedAccount[] } = { rows, total: undefined };
    // Forward: more rows follow when one extra came back; a page reached by a cursor has a page before it.
    // Backward: the page we came from follows; an extra row means more pages lie before.
    if (last && (backwards || more)) page.nextCursor = mark('next', last);
    if (first && (backwards ? more : state !== undefined)) page.previousCursor = mark('previous', first);
    return page;
  }

  /** The codec with the key every replica shares, read (or first written) once per process. */
  private cursorCodec(): Promise<CursorCodec> {
    this.cursors ??= establishCursorKey(this.db, randomBytes(32).toString('base64'), this.clock.now()).then(
      (key) => new CursorCodec(Buffer.from(key, 'base64'), () => this.clock.now()),
    );
    // A failed read is not kept: the next request tries again.
    this.cursors.catch(() => {
      this.cursors = undefined;
    });
    return this.cursors;
  }

  async replace(call: ScimCall, id: string, body: unknown, ifMatch: string | undefined): Promise<UserResult> {
    const target: Target = { id: UUID.test(id) ? id : null, userName: userNameIn(body), externalId: externalIdIn(body) };
    return this.logged<UserResult>(call, 'Replace', target, 'statement', async (db, draft) => {
      const change = (_row: AccountRecord) => ({ ...checkUserDocument(body), operation: 'Replace' as Operation });
      return this.optimisticWrite(db, call, id, ifMatch, target, draft, change);
    });
  }

  async patch(call: ScimCall, id: string, body: unknown, ifMatch: string | undefined): Promise<UserResult> {
    const target: Target = { id: UUID.test(id) ? id : null, userName: null, externalId: null };
    let operation: Operation = 'Update';
    return this.logged<UserResult>(call, () => operation, target, 'statement', async (db, draft) => {
      const operations = normaliseEntraPatch(body, this.limits.maxPatchOperations);
      const activeOp = operations.find((o) => o.path === 'active' && o.op !== 'remove');
      if (activeOp) operation = activeOp.value === false ? 'Disable' : 'Enable';
      const change = (row: AccountRecord) => {
        const checked = checkUserDocument(applyPatch(row.resource, operations));
        operation = patchOperation(row.active, checked.fields.active);
        return { ...checked, operation };
      };
      return this.optimisticWrite(db, call, id, ifMatch, target, draft, change);
    });
  }

  /**
   * PUT and PATCH (issue 14): read the account with its groups, apply, then write only if its version still
   * holds, the entry in the same statement; no transaction, two round trips. A concurrent write makes the
   * version miss, and the change is applied again to what is now stored. A rename or a change of Entra app
   * role (former names, uniqueness, role recomputation) and a row that keeps changing take the row lock instead.
   */
  private async optimisticWrite(
    db: Kysely<DB> | Transaction<DB>,
    call: ScimCall,
    id: string,
    ifMatch: string | undefined,
    target: Target,
    draft: Drafter,
    change: (row: AccountRecord) => { document: UserDocument; fields: AccountFields; operation: Operation },
  ): Promise<Outcome<UserResult>> {
    for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
      const row = UUID.test(id) ? await findAccountWithGroups(db, call.tenantId, id) : undefined;
      if (!row) throw userNotFound(id);
      checkIfMatch(ifMatch, row.version);
      Object.assign(target, targetOf(row));
      const { document, fields, operation } = change(row);
      const renamed = fields.userName !== row.user_name || fields.externalId !== row.external_id;
      if (renamed || !sameAppRole(row.resource['roles'], document['roles'])) break;
      const changes = diffDocuments(row.resource, document);
      if (changes.length === 0) {
        // Nothing changed (Entra re-sends PATCHes): keep the version, so the client's ETag stays valid.
        const entry = draft(200, operation, changes);
        if (entry && !(await insertEntryIfVersion(db, call.tenantId, row.id, row.version, entry))) continue;
        return { result: await this.answer(db, call, row, 200), status: 200, operation, changes, logged: true };
      }
      const updated = await updateAccountIfVersion(db, call.tenantId, row.id, toValues(fields, document), row.version, this.clock.now(), draft(200, operation, changes));
      if (!updated) continue;
      Object.assign(target, targetOf(updated));
      // A user's PUT or PATCH never changes its memberships (groups is readOnly): those read with the row stand.
      return { result: await this.answer(db, call, { ...updated, groups: row.groups }, 200), status: 200, operation, changes, logged: true };
    }
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockForWrite(trx, call, id, ifMatch);
      Object.assign(target, targetOf(row));
      const { document, fields, operation } = change(row);
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
      // Deleting a user removes it from its groups (issue 17), and their ETags change with it.
      await removeAccountFromGroups(trx, call.tenantId, row.id, this.clock.now());
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

  /** The answer for a row; its groups are read unless the caller already has them (read with the row). */
  private async answer(db: Kysely<DB> | Transaction<DB>, call: ScimCall, row: AccountRecord | AccountWithGroups, status: number): Promise<UserResult> {
    const managerNames = await this.managerNames(db, call.tenantId, [row]);
    const groups = 'groups' in row ? groupList(row.groups) : ((await listGroupsOfAccounts(db, call.tenantId, [row.id])).get(row.id) ?? []);
    return { status, body: renderUser(row, call.usersUrl, managerNames, { list: groups, groupsUrl: call.groupsUrl }), etag: etagOf(row.version) };
  }

  /** The display names of the managers of these users: one query for a page, none when no user has a manager. */
  private managerNames(db: Kysely<DB> | Transaction<DB>, tenantId: string, rows: AccountRecord[]): Promise<Map<string, string>> {
    const ids = [...new Set(rows.map((row) => managerIdOf(row.resource)).filter((id): id is string => id !== undefined))];
    return findDisplayNames(db, tenantId, ids);
  }

  private logged<T>(
    call: ScimCall,
    operation: Operation | (() => Operation),
    target: Target,
    mode: Mode,
    work: (db: Transaction<DB>, draft: Drafter) => Promise<Outcome<T>>,
  ): Promise<T> {
    return this.calls.run(call, operation, target, mode, work);
  }
}

const stringField = (body: unknown, key: string): string | null => {
  if (typeof body !== 'object' || body === null) return null;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' ? value.slice(0, 256) : null;
};
const userNameIn = (body: unknown) => stringField(body, 'userName');
const externalIdIn = (body: unknown) => stringField(body, 'externalId');
