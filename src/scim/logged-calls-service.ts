import { performance } from 'node:perf_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import type { AttributeChange, Operation } from '../provisioning-log/entry.js';
import { ReadEntryWriter } from '../provisioning-log/read-entries-service.js';
import { entryToRow } from '../provisioning-log/scim-entry.js';
import type { EntryDraft } from '../store/accounts.js';
import { insertProvisioningLogEntry } from '../store/provisioning-log.js';
import type { DB } from '../store/tables.js';
import { ScimError, uniqueness } from './errors.js';

/** Who asks and where answers point: built by the routes from the principal and the request. */
export interface ScimCall {
  tenantId: string;
  clientId: string;
  requestId: string;
  /** Absolute URL of the Users endpoint, for meta.location. */
  usersUrl: string;
  /** Absolute URL of the Groups endpoint, for meta.location and members' / groups' $ref. */
  groupsUrl: string;
}

export interface Outcome<T> {
  result: T;
  status: number;
  operation: Operation;
  changes: AttributeChange[] | null;
  /** True when the work already wrote the entry with its change (same statement). */
  logged?: boolean;
}

/** Builds the success entry for a change, or undefined when logging is off. */
export type Drafter = (status: number, operation: Operation, changes: AttributeChange[] | null) => EntryDraft | undefined;

/** read: no transaction, entry batched; statement: one atomic statement carries change and entry; transaction: locked row. */
export type Mode = 'read' | 'statement' | 'transaction';

/**
 * What the log entry names as the target; filled in as the request learns it (so failures name it too).
 * For a group, `userName` carries its displayName (the log's target name column).
 */
export interface Target {
  id: string | null;
  userName: string | null;
  externalId: string | null;
}

export interface LoggedCallsOptions {
  db: Kysely<DB>;
  clock: Clock;
  logEnabled: boolean;
  onLogError?: (err: unknown, lost: number) => void;
  /** Told of every operation as its entry is written (metrics: scim_operations_total). */
  onOperation?: (tenantId: string, operation: Operation, outcome: 'success' | 'failure', durationMs: number) => void;
}

const PG_UNIQUE_VIOLATION = '23505';

/**
 * Runs SCIM calls and writes their provisioning-log entries (issue 5), for Users and Groups alike: a
 * success's entry inside the call's transaction, so a change never lands without its entry; a failure's
 * after the rollback; a read's through the batcher.
 */
export class LoggedCalls {
  private readonly lateEntries: ReadEntryWriter;

  /** Whether entries are written (PROVISIONING_LOG_ENABLED): the role changes a call causes follow it. */
  get logEnabled(): boolean {
    return this.options.logEnabled;
  }

  constructor(private readonly options: LoggedCallsOptions) {
    this.lateEntries = new ReadEntryWriter(options.db, options.onLogError ?? (() => undefined));
  }

  /** Commits the entries of reads and failures still waiting in the batcher (shutdown, tests). */
  flush(): Promise<void> {
    return this.lateEntries.flush();
  }

  async run<T>(
    call: ScimCall,
    operation: Operation | (() => Operation),
    target: Target,
    mode: Mode,
    work: (db: Transaction<DB>, draft: Drafter) => Promise<Outcome<T>>,
  ): Promise<T> {
    const { db, clock, logEnabled } = this.options;
    const onOperation = this.options.onOperation ?? (() => undefined);
    const started = performance.now();
    const entry = (status: number, op: Operation, extra: { scimType?: string | null; detail?: string | null; changes?: AttributeChange[] | null }) =>
      entryToRow({
        tenantId: call.tenantId,
        occurredAt: clock.now(),
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
        if (!logEnabled) return undefined;
        const { target_id: _i, target_user_name: _u, target_external_id: _e, ...rest } = entry(status, op, { changes });
        return rest;
      };
      let finished: { operation: Operation; status: number } | undefined;
      const execute = async (trx: Transaction<DB>): Promise<T> => {
        const outcome = await work(trx, draft);
        finished = { operation: outcome.operation, status: outcome.status };
        if (logEnabled && !outcome.logged) {
          const row = entry(outcome.status, outcome.operation, { changes: outcome.changes });
          // A write's entry commits in its transaction; a read's goes to the batcher.
          if (mode === 'read') this.lateEntries.add({ ...row, tenant_id: call.tenantId });
          else await insertProvisioningLogEntry(trx, call.tenantId, row);
        }
        return outcome.result;
      };
      // Only a locked read-modify-write needs a transaction; the Kysely handle serves the others.
      const result = mode === 'transaction' ? await db.transaction().execute(execute) : await execute(db as Transaction<DB>);
      // Counted once committed, so a rolled-back write is counted only as the failure it became.
      if (finished) onOperation(call.tenantId, finished.operation, finished.status < 400 ? 'success' : 'failure', performance.now() - started);
      return result;
    } catch (err) {
      const failure = asScimError(err);
      const failedOp = typeof operation === 'function' ? operation() : operation;
      onOperation(call.tenantId, failedOp, 'failure', performance.now() - started);
      if (logEnabled) {
        const row = entry(failure?.statusCode ?? 500, failedOp, {
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
  // A concurrent write took the name between the check and the write; only userName can race this way today.
  if ((err as { code?: string }).code === PG_UNIQUE_VIOLATION) return uniqueness('userName is already taken in this tenant.');
  return undefined;
}
