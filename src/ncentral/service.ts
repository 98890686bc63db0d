import type { Kysely, Transaction } from 'kysely';
import type { AuditActor } from '../audit/audit-entry.js';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { openSecret, sealContext, sealSecret } from '../crypto/sealed-secret.js';
import {
  findConnection,
  findOrgUnit,
  listOrgUnits,
  setOrgUnitNotes,
  setOrgUnitStates,
  updateConnection,
  upsertConnection,
} from '../store/ncentral.js';
import { appendAuditEntry } from '../store/audit-entries.js';
import { findPortalClient, listPortalClients } from '../store/portal-clients.js';
import type { DB, MappingState, NcentralConnection, NcentralOrgUnit, NcentralSyncRun, SyncTrigger } from '../store/tables.js';
import { findTenantById } from '../store/tenants.js';
import type { AllowedHosts } from './allowed-hosts.js';
import { connectionChanges, connectionTarget, NCENTRAL_ACTIONS, unitChanges, unitDetail, unitTarget, type DecidedBy, type UnitDecision } from './audit-trail.js';
import { auditedAction } from './audit-service.js';
import { normaliseNcentralUrl } from './base-url.js';
import { checkDestination, systemResolver, type HostResolver } from './destination-guard.js';
import { restConnector, type ConnectionSecret, type NcentralConnector, type VerifyReport } from './connector.js';
import { targetFor, type UnitMapping } from './device-diff.js';
import { plannedKinds, refreshOrgUnits } from './directory-service.js';
import type { NcentralLimits } from './limits.js';
import { planAutoMatch } from './matcher.js';
import { DEFAULT_SYNC_TIME, parseSyncTime } from './schedule.js';
import type { SyncProgress } from './sync.js';
import { connectionView, type ConnectionView, type PreviewView, type UnitView } from './views.js';
export { runView, type ConnectionView, type PreviewView, type RunView, type UnitView } from './views.js';
import { NcentralRuns, type JobScheduler } from './run-service.js';
import { NcentralServiceError } from './service-error.js';
export { NcentralServiceError } from './service-error.js';
export type { JobScheduler } from './run-service.js';

export interface NcentralServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  log: Logger;
  encryptionKey: Buffer | undefined;
  connector: NcentralConnector;
  /** NCENTRAL_ALLOWED_HOSTS: checked when a connection is saved; the connector checks every connection it opens. */
  allowedHosts: AllowedHosts;
  /** Resolves host names for that check (tests inject one). Default: the system's. */
  resolveHost?: HostResolver;
}

export interface ConnectInput {
  url: string;
  token: string;
  caPem?: string | null | undefined;
  deviceSync?: boolean | undefined;
  assetsUnderParent?: boolean | undefined;
  ignoreSyncRequirements?: boolean | undefined;
  syncTime?: string | undefined;
}

export type OptionsInput = Omit<ConnectInput, 'url' | 'token' | 'caPem'>;

const tokenContext = sealContext.ncentralToken;



/** The N-central feature's façade for the API, console and CLI: connection, matching workflow, preview/finish; runs and their scheduling are NcentralRuns'. */
export class NcentralService {
  private readonly runner: NcentralRuns;

  constructor(private readonly deps: NcentralServiceDeps) {
    this.runner = new NcentralRuns({
      db: deps.db,
      clock: deps.clock,
      log: deps.log,
      connector: deps.connector,
      connection: (tenantId) => this.requireConnection(tenantId),
      tenant: (tenantId) => this.requireTenant(tenantId),
      secretOf: (c) => this.secretOf(c),
    });
  }

  // ---- connection ----------------------------------------------------------------------------------------------

  /** Saves the connection; the audit entry names the fields that changed and that a token was entered, never the token. */
  async connect(tenantId: string, input: ConnectInput, actor: AuditActor): Promise<ConnectionView> {
    const action = (await findConnection(this.deps.db, tenantId)) ? NCENTRAL_ACTIONS.connectionUpdate : NCENTRAL_ACTIONS.connectionCreate;
    await auditedAction(this.deps.db, { tenantId, actor, action, target: connectionTarget(tenantId) }, () => this.saveConnection(tenantId, input, actor));
    return this.connection(tenantId);
  }

  private async saveConnection(tenantId: string, input: ConnectInput, actor: AuditActor): Promise<void> {
    const key = this.deps.encryptionKey;
    if (!key) {
      throw new NcentralServiceError(
        'noEncryptionKey',
        'ENCRYPTION_KEY is not set, so the N-central API token cannot be stored encrypted; set ENCRYPTION_KEY (32 bytes, e.g. `openssl rand -base64 32`) and restart.',
      );
    }
    await this.requireTenant(tenantId);
    const url = normaliseNcentralUrl(input.url);
    if (!url.ok) throw new NcentralServiceError('invalid', url.reason);
    const token = input.token.trim();
    if (token === '' || /\s/.test(token)) throw new NcentralServiceError('invalid', 'The User-API token is empty or contains spaces.');
    const caPem = input.caPem?.trim() ? input.caPem : null;
    if (caPem !== null && !caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new NcentralServiceError('invalid', 'The CA file is not a PEM certificate bundle.');
    }
    const syncTime = input.syncTime ?? DEFAULT_SYNC_TIME;
    if (!parseSyncTime(syncTime)) throw new NcentralServiceError('invalid', `The sync time must be HH:MM (24-hour), got "${syncTime}".`);
    await this.requireAllowedDestination(tenantId, new URL(url.url).hostname);
    await this.deps.db.transaction().execute(async (trx) => {
      const existing = await findConnection(trx, tenantId);
      await upsertConnection(
        trx,
        tenantId,
        {
          baseUrl: url.url,
          tokenSealed: sealSecret(key, token, tokenContext(tenantId)),
          caPem,
          deviceSync: input.deviceSync ?? existing?.device_sync ?? true,
          assetsUnderParent: input.assetsUnderParent ?? existing?.assets_under_parent ?? true,
          ignoreSyncRequirements: input.ignoreSyncRequirements ?? existing?.ignore_sync_requirements ?? false,
          syncTime,
        },
        this.deps.clock.now(),
      );
      await appendAuditEntry(trx, {
        tenantId,
        actor,
        action: existing ? NCENTRAL_ACTIONS.connectionUpdate : NCENTRAL_ACTIONS.connectionCreate,
        target: connectionTarget(tenantId),
        outcome: 'success',
        changes: connectionChanges(existing, await findConnection(trx, tenantId)),
        detail: { tokenEntered: true },
      });
    });
  }

  async connection(tenantId: string): Promise<ConnectionView> {
    return connectionView(await this.requireConnection(tenantId));
  }

  async setOptions(tenantId: string, input: OptionsInput, actor: AuditActor): Promise<ConnectionView> {
    const audit = { tenantId, actor, action: NCENTRAL_ACTIONS.connectionUpdate, target: connectionTarget(tenantId) };
    const c = await auditedAction(this.deps.db, audit, async () => {
      await this.requireConnection(tenantId);
      if (input.syncTime !== undefined && !parseSyncTime(input.syncTime)) {
        throw new NcentralServiceError('invalid', `The sync time must be HH:MM (24-hour), got "${input.syncTime}".`);
      }
      return this.deps.db.transaction().execute(async (trx) => {
        const before = await this.requireConnection(tenantId, trx);
        await updateConnection(trx, tenantId, {
          ...(input.deviceSync === undefined ? {} : { device_sync: input.deviceSync }),
          ...(input.assetsUnderParent === undefined ? {} : { assets_under_parent: input.assetsUnderParent }),
          ...(input.ignoreSyncRequirements === undefined ? {} : { ignore_sync_requirements: input.ignoreSyncRequirements }),
          ...(input.syncTime === undefined ? {} : { sync_time: input.syncTime }),
          updated_at: this.deps.clock.now(),
        });
        const after = await this.requireConnection(tenantId, trx);
        await appendAuditEntry(trx, { ...audit, outcome: 'success', changes: connectionChanges(before, after) });
        return after;
      });
    });
    if (c.finished_at) await this.scheduleTenant(tenantId);
    return connectionView(c);
  }

  /** Authenticates, reads the version and names what is wrong; on success reads the customers and sites. */
  async verify(tenantId: string, actor: AuditActor): Promise<VerifyReport> {
    const audit = { tenantId, actor, action: NCENTRAL_ACTIONS.verify, target: connectionTarget(tenantId) };
    const secret = await auditedAction(this.deps.db, audit, () => this.secret(tenantId));
    const report = await this.deps.connector.verify(secret);
    // Problem codes only: N-central's own words are scrubbed of tokens, but an audit entry has no need of them.
    const found = { ncentralVersion: report.ncentralVersion, customers: report.customers, devices: report.devices, problems: report.problems.map((p) => p.code) };
    if (!report.ok) {
      await appendAuditEntry(this.deps.db, { ...audit, outcome: 'failure', detail: found });
      return report;
    }
    await this.deps.db.transaction().execute(async (trx) => {
      const before = await this.requireConnection(tenantId, trx);
      await updateConnection(trx, tenantId, { verified_at: this.deps.clock.now(), ncentral_version: report.ncentralVersion });
      await appendAuditEntry(trx, { ...audit, outcome: 'success', changes: connectionChanges(before, await this.requireConnection(tenantId, trx)), detail: found });
    });
    await this.refresh(tenantId, secret);
    return report;
  }

  // ---- matching workflow ---------------------------------------------------------------------------------------

  async units(tenantId: string, options: { refresh?: boolean } = {}): Promise<UnitView[]> {
    if (options.refresh) await this.refresh(tenantId, await this.secret(tenantId));
    else await this.requireConnection(tenantId);
    const clients = new Map((await listPortalClients(this.deps.db, tenantId)).map((c) => [c.id, c.name]));
    return (await listOrgUnits(this.deps.db, tenantId)).map((u) => ({
      id: u.org_unit_id,
      kind: u.kind,
      name: u.name,
      parentId: u.parent_id,
      state: u.state,
      portalClientId: u.portal_client_id,
      portalClientName: u.portal_client_id ? (clients.get(u.portal_client_id) ?? null) : null,
      note: u.note,
      gone: u.gone_at !== null,
    }));
  }

  /** Matches units to portal clients of the same name; each match is its own audit entry, beside one for the run. */
  async autoMatch(tenantId: string, actor: AuditActor): Promise<{ matched: number; ambiguous: { id: string; name: string; note: string }[]; unmatched: number }> {
    const audit = { tenantId, actor, action: NCENTRAL_ACTIONS.autoMatch, target: connectionTarget(tenantId) };
    const c = await auditedAction(this.deps.db, audit, () => this.requireConnection(tenantId));
    const kinds = plannedKinds(c.assets_under_parent);
    const at = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (trx) => {
      const units = (await listOrgUnits(trx, tenantId)).filter((u) => kinds.includes(u.kind) && u.gone_at === null);
      const clients = await listPortalClients(trx, tenantId);
      const decisions = planAutoMatch(
        units.map((u) => ({ orgUnitId: u.org_unit_id, name: u.name, state: u.state, portalClientId: u.portal_client_id })),
        clients.map((cl) => ({ id: cl.id, name: cl.name })),
      );
      const byId = new Map(units.map((u) => [u.org_unit_id, u]));
      const matches = decisions.flatMap((d) => (d.action === 'match' ? [{ orgUnitId: d.orgUnitId, state: 'matched' as const, portalClientId: d.portalClientId, note: null }] : []));
      await setOrgUnitStates(trx, tenantId, matches, at);
      await setOrgUnitNotes(trx, tenantId, decisions.map((d) => ({ orgUnitId: d.orgUnitId, note: d.action === 'ambiguous' ? d.note : null })).filter((n) => n.note !== null || byId.get(n.orgUnitId)?.note !== null), at);
      const ambiguous = decisions.flatMap((d) => (d.action === 'ambiguous' ? [{ id: d.orgUnitId, name: byId.get(d.orgUnitId)?.name ?? '', note: d.note }] : []));
      const result = { matched: matches.length, ambiguous, unmatched: decisions.filter((d) => d.action !== 'match').length };
      await appendAuditEntry(trx, { ...audit, outcome: 'success', detail: { matched: result.matched, ambiguous: ambiguous.length, unmatched: result.unmatched } });
      for (const m of matches) {
        const unit = byId.get(m.orgUnitId);
        if (unit) await this.recordDecision(trx, tenantId, actor, 'match', unit, m, 'auto_match');
      }
      return result;
    });
  }

  async match(tenantId: string, orgUnitId: string, portalClientId: string, actor: AuditActor): Promise<UnitView> {
    return this.decide(tenantId, orgUnitId, 'match', actor, async () => {
      if (!(await findPortalClient(this.deps.db, tenantId, portalClientId))) {
        throw new NcentralServiceError('notFound', `No portal client ${portalClientId} in this tenant.`);
      }
      return { state: 'matched', portalClientId };
    });
  }

  async create(tenantId: string, orgUnitId: string, actor: AuditActor): Promise<UnitView> {
    return this.decide(tenantId, orgUnitId, 'create', actor, async (unit) => {
      if (unit.state === 'matched' && unit.portal_client_id) {
        throw new NcentralServiceError('invalid', `N-central ${orgUnitId} is already matched; exclude or un-exclude it first to change that.`);
      }
      return { state: 'to_create', portalClientId: null };
    });
  }

  async exclude(tenantId: string, orgUnitId: string, actor: AuditActor): Promise<UnitView> {
    return this.decide(tenantId, orgUnitId, 'exclude', actor, async () => ({ state: 'excluded', portalClientId: null }));
  }

  /** Back to unmatched, to be decided again. */
  async unexclude(tenantId: string, orgUnitId: string, actor: AuditActor): Promise<UnitView> {
    return this.decide(tenantId, orgUnitId, 'unexclude', actor, async () => ({ state: 'unmatched', portalClientId: null }));
  }

  /** Marks every unmatched unit to create; each is its own audit entry, beside one for the whole action. */
  async createUnmatched(tenantId: string, actor: AuditActor): Promise<{ toCreate: number }> {
    const audit = { tenantId, actor, action: NCENTRAL_ACTIONS.createUnmatched, target: connectionTarget(tenantId) };
    const c = await auditedAction(this.deps.db, audit, () => this.requireConnection(tenantId));
    const kinds = plannedKinds(c.assets_under_parent);
    return this.deps.db.transaction().execute(async (trx) => {
      const units = (await listOrgUnits(trx, tenantId)).filter((u) => u.state === 'unmatched' && u.gone_at === null && kinds.includes(u.kind));
      const planned = units.map((u) => ({ orgUnitId: u.org_unit_id, state: 'to_create' as const, portalClientId: null, note: null }));
      await setOrgUnitStates(trx, tenantId, planned, this.deps.clock.now());
      await appendAuditEntry(trx, { ...audit, outcome: 'success', detail: { toCreate: units.length } });
      for (const u of units) await this.recordDecision(trx, tenantId, actor, 'create', u, { state: 'to_create', portalClientId: null }, 'create_unmatched');
      return { toCreate: units.length };
    });
  }

  /** Exactly what finish will do: clients to create, matched and excluded units, devices that become assets. */
  async preview(tenantId: string): Promise<PreviewView> {
    const c = await this.requireConnection(tenantId);
    const kinds = plannedKinds(c.assets_under_parent);
    const all = (await listOrgUnits(this.deps.db, tenantId)).filter((u) => u.gone_at === null);
    const units = all.filter((u) => kinds.includes(u.kind));
    const count = (s: MappingState): number => units.filter((u) => u.state === s).length;
    let devices = 0;
    if (c.device_sync) {
      // As finish will see them: "to create" units count as matched.
      const mapping = new Map<string, UnitMapping>(
        all.map((u) => [
          u.org_unit_id,
          {
            kind: u.kind,
            parentId: u.parent_id,
            state: u.state === 'to_create' && kinds.includes(u.kind) ? 'matched' : u.state,
            portalClientId: u.state === 'to_create' ? 'planned' : u.portal_client_id,
          },
        ]),
      );
      const source = this.deps.connector.open(this.secretOf(c));
      try {
        const seen = new Set<string>();
        for await (const page of source.devices()) {
          for (const d of page.items) {
            if (seen.has(d.deviceId)) continue;
            seen.add(d.deviceId);
            if (!('skip' in targetFor(d, mapping, c.assets_under_parent))) devices++;
          }
        }
      } finally {
        await source.close();
      }
    }
    return { create: count('to_create'), match: count('matched'), exclude: count('excluded'), unmatched: count('unmatched'), devices };
  }

  /** Commits the plan: the initial sync starts now (it creates the clients), then nightly runs are scheduled. */
  async finish(tenantId: string, actor: AuditActor, options: { wait?: boolean; onProgress?: (p: SyncProgress) => void } = {}): Promise<NcentralSyncRun> {
    const audit = { tenantId, actor, action: NCENTRAL_ACTIONS.finish, target: connectionTarget(tenantId) };
    await auditedAction(this.deps.db, audit, () =>
      this.deps.db.transaction().execute(async (trx) => {
        const c = await this.requireConnection(tenantId, trx);
        const finishedAt = c.finished_at ?? this.deps.clock.now();
        if (!c.finished_at) await updateConnection(trx, tenantId, { finished_at: finishedAt });
        await appendAuditEntry(trx, {
          ...audit,
          outcome: 'success',
          ...(c.finished_at ? {} : { changes: { finishedAt: { old: null, new: finishedAt.toISOString() } } }),
        });
      }),
    );
    await this.scheduleTenant(tenantId);
    return this.sync(tenantId, 'finish', { ...options, actor });
  }

  // ---- runs and scheduling (run-service.ts) -----------------------------------------------------------------------

  /** Starts a run; its audit entry (who started it) commits with the run's record. */
  sync(tenantId: string, trigger: SyncTrigger, options: { actor: AuditActor; wait?: boolean; jobKey?: string; onProgress?: (p: SyncProgress) => void }): Promise<NcentralSyncRun> {
    return this.runner.sync(tenantId, trigger, options);
  }

  runScheduled(tenantId: string, jobKey: string): Promise<NcentralSyncRun | null> {
    return this.runner.runScheduled(tenantId, jobKey);
  }

  runs(tenantId: string, limit = 20): Promise<NcentralSyncRun[]> {
    return this.runner.runs(tenantId, limit);
  }

  run(tenantId: string, runId: string): Promise<NcentralSyncRun> {
    return this.runner.run(tenantId, runId);
  }

  attachScheduler(scheduler: JobScheduler): Promise<void> {
    return this.runner.attachScheduler(scheduler);
  }

  /** Waits for runs started without `wait` (shutdown, tests). */
  drain(): Promise<void> {
    return this.runner.drain();
  }

  private scheduleTenant(tenantId: string): Promise<void> {
    return this.runner.scheduleTenant(tenantId);
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private async refresh(tenantId: string, secret: ConnectionSecret): Promise<void> {
    const source = this.deps.connector.open(secret);
    try {
      await refreshOrgUnits(this.deps.db, tenantId, source, this.deps.clock);
    } finally {
      await source.close();
    }
  }

  /**
   * One person's decision on one unit: `choose` checks it against the unit as it stands and says the new mapping;
   * the change and its audit entry commit together, and a refusal writes a failure entry instead.
   */
  private async decide(
    tenantId: string,
    orgUnitId: string,
    decision: UnitDecision,
    actor: AuditActor,
    choose: (unit: NcentralOrgUnit) => Promise<{ state: MappingState; portalClientId: string | null }>,
  ): Promise<UnitView> {
    await auditedAction(this.deps.db, { tenantId, actor, action: NCENTRAL_ACTIONS[decision], target: unitTarget(orgUnitId) }, async () => {
      const mapping = await choose(await this.requireUnit(tenantId, orgUnitId));
      await this.deps.db.transaction().execute(async (trx) => {
        const unit = await this.requireUnit(tenantId, orgUnitId, trx);
        await setOrgUnitStates(trx, tenantId, [{ orgUnitId, ...mapping, note: null }], this.deps.clock.now());
        await this.recordDecision(trx, tenantId, actor, decision, unit, mapping, 'manual');
      });
    });
    const unit = (await this.units(tenantId)).find((u) => u.id === orgUnitId);
    if (!unit) throw new NcentralServiceError('notFound', `No N-central customer or site ${orgUnitId}.`);
    return unit;
  }

  private async recordDecision(
    trx: Transaction<DB>,
    tenantId: string,
    actor: AuditActor,
    decision: UnitDecision,
    unit: NcentralOrgUnit,
    mapping: { state: MappingState; portalClientId: string | null },
    by: DecidedBy,
  ): Promise<void> {
    await appendAuditEntry(trx, {
      tenantId,
      actor,
      action: NCENTRAL_ACTIONS[decision],
      target: unitTarget(unit.org_unit_id),
      outcome: 'success',
      changes: unitChanges(unit, mapping),
      detail: unitDetail(unit, by),
    });
  }

  /**
   * Refuses an address this service must not call (issue 15, SSRF). The answer is the same whether the name
   * does not resolve or resolves to an internal address, so saving tells a tenant nothing about the network.
   */
  private async requireAllowedDestination(tenantId: string, host: string): Promise<void> {
    const verdict = await checkDestination({ allowed: this.deps.allowedHosts, resolve: this.deps.resolveHost ?? systemResolver }, host);
    if (verdict.allowed) return;
    this.deps.log.info({ tenantId, host, why: verdict.why }, 'N-central address refused: not allowed by NCENTRAL_ALLOWED_HOSTS');
    throw new NcentralServiceError(
      'invalid',
      `The N-central address ${host} is not allowed: it must be a public address (or a name that resolves only to public addresses), unless the service's operator lists it in NCENTRAL_ALLOWED_HOSTS.`,
    );
  }

  private async requireTenant(tenantId: string) {
    const tenant = await findTenantById(this.deps.db, tenantId);
    if (!tenant) throw new NcentralServiceError('notFound', `No tenant ${tenantId}.`);
    return tenant;
  }

  private async requireConnection(tenantId: string, db: Kysely<DB> | Transaction<DB> = this.deps.db): Promise<NcentralConnection> {
    const c = await findConnection(db, tenantId);
    if (!c) throw new NcentralServiceError('notConnected', 'This tenant has no N-central connection; connect one first.');
    return c;
  }

  private async requireUnit(tenantId: string, orgUnitId: string, db: Kysely<DB> | Transaction<DB> = this.deps.db): Promise<NcentralOrgUnit> {
    const unit = await findOrgUnit(db, tenantId, orgUnitId);
    if (!unit) throw new NcentralServiceError('notFound', `No N-central customer or site ${orgUnitId}; run verify or customers --refresh first.`);
    return unit;
  }

  private async secret(tenantId: string): Promise<ConnectionSecret> {
    return this.secretOf(await this.requireConnection(tenantId));
  }

  /** Opens the sealed API token of a connection already read. */
  private secretOf(c: NcentralConnection): ConnectionSecret {
    const key = this.deps.encryptionKey;
    if (!key) {
      throw new NcentralServiceError('noEncryptionKey', 'ENCRYPTION_KEY is not set, so the stored N-central API token cannot be opened.');
    }
    return { baseUrl: c.base_url, userApiToken: openSecret(key, c.token_sealed, tokenContext(c.tenant_id)), caPem: c.ca_pem };
  }
}

/** The service as the server and the CLI build it: the REST client as connector unless a test passes another. */
export function createNcentralService(
  deps: { database: { db: Kysely<DB> }; clock: Clock; log: Logger; config: { encryptionKey: Buffer | undefined; ncentralAllowedHosts: AllowedHosts; ncentralLimits?: NcentralLimits } },
  connector: NcentralConnector = restConnector({
    allowedHosts: deps.config.ncentralAllowedHosts,
    ...(deps.config.ncentralLimits ? { limits: deps.config.ncentralLimits } : {}),
  }),
): NcentralService {
  const { encryptionKey, ncentralAllowedHosts: allowedHosts } = deps.config;
  return new NcentralService({ db: deps.database.db, clock: deps.clock, log: deps.log, encryptionKey, connector, allowedHosts });
}
