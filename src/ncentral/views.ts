import type { MappingState, NcentralConnection, NcentralSyncRun, SyncTrigger } from '../store/tables.js';

/** The connection as every API shows it: never the token. */
export interface ConnectionView {
  url: string;
  tokenConfigured: true;
  caConfigured: boolean;
  deviceSync: boolean;
  assetsUnderParent: boolean;
  ignoreSyncRequirements: boolean;
  syncTime: string;
  ncentralVersion: string | null;
  verifiedAt: string | null;
  finishedAt: string | null;
}

export interface UnitView {
  id: string;
  kind: 'customer' | 'site';
  name: string;
  parentId: string;
  state: MappingState;
  portalClientId: string | null;
  portalClientName: string | null;
  note: string | null;
  gone: boolean;
}

export interface PreviewView {
  create: number;
  match: number;
  exclude: number;
  unmatched: number;
  devices: number;
}

/** A run as the API and the CLI print it: flat, so scripts read `status`, `created`, `updated`… directly. */
export interface RunView {
  id: string;
  trigger: SyncTrigger;
  status: 'running' | 'succeeded' | 'failed';
  phase: string;
  startedAt: string;
  endedAt: string | null;
  created: number;
  linked: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: number;
  clientsCreated: number;
  pages: number;
  retries: number;
  devicesSeen: number;
  devicesTotal: number | null;
  error: string | null;
  /** What kind of failure stopped the run (e.g. `serverMisbehaved`), null when it succeeded or for other failures. */
  errorCode: string | null;
  /** For devices missing from the pass: how N-central answered (`notFound`, `deleted`, `noPermission`, `present`, `unanswered`). */
  removalAnswers: Record<string, number>;
}

export const runView = (r: NcentralSyncRun): RunView => ({
  id: r.id,
  trigger: r.trigger,
  status: r.status,
  phase: r.phase,
  startedAt: new Date(r.started_at).toISOString(),
  endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
  created: r.created,
  linked: r.linked,
  updated: r.updated,
  unchanged: r.unchanged,
  removed: r.removed,
  skipped: r.skipped,
  clientsCreated: r.clients_created,
  pages: r.pages,
  retries: r.retries,
  devicesSeen: r.devices_seen,
  devicesTotal: r.devices_total,
  error: r.error,
  errorCode: r.error_code,
  removalAnswers: r.removal_answers,
});

export const connectionView = (c: NcentralConnection): ConnectionView => ({
  url: c.base_url,
  tokenConfigured: true,
  caConfigured: c.ca_pem !== null,
  deviceSync: c.device_sync,
  assetsUnderParent: c.assets_under_parent,
  ignoreSyncRequirements: c.ignore_sync_requirements,
  syncTime: c.sync_time,
  ncentralVersion: c.ncentral_version,
  verifiedAt: c.verified_at ? new Date(c.verified_at).toISOString() : null,
  finishedAt: c.finished_at ? new Date(c.finished_at).toISOString() : null,
});
