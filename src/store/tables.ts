import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database as Kysely sees it, written by hand beside the migrations. Tenant id leads every key.
 * Timestamps are written as Date and read as Date (pg and PGlite both parse timestamptz).
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb goes in as a JSON string or object and comes out parsed. */
type Json<T> = ColumnType<T, T | string, T | string>;
/** bigint ids come back from pg as strings; they stay strings so no precision is lost. */
type BigId = ColumnType<string, never, never>;

export interface TenantsTable {
  id: string;
  name: string;
  status: ColumnType<'active' | 'disabled', 'active' | 'disabled' | undefined, 'active' | 'disabled'>;
  time_zone: ColumnType<string, string | undefined, string>;
  /** The portal role of an account no app role or group rule decides (migration 2026-12-04-0150). */
  default_role: ColumnType<PortalRoleName, PortalRoleName | undefined, PortalRoleName>;
  created_at: Timestamp;
}

export interface AccountsTable {
  tenant_id: string;
  id: string;
  user_name: string;
  external_id: string | null;
  given_name: string;
  family_name: string;
  display_name: string | null;
  email: string | null;
  active: boolean;
  resource: Json<Record<string, unknown>>;
  /** lower(resource::text)::jsonb, generated (migration 2026-12-04-0060): what filters match with `@>`. */
  match_document: ColumnType<Record<string, unknown>, never, never>;
  version: ColumnType<number, number | undefined, number>;
  /** The effective portal role, recomputed in the transaction of whatever changes it (src/roles). */
  role: ColumnType<PortalRoleName, PortalRoleName | undefined, PortalRoleName>;
  /** Why the account has `role` (RoleCause as JSON); null until first computed. */
  role_cause: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type PortalRoleName = 'admin' | 'technician' | 'read-only';

/** A rule mapping an Entra group (by displayName or externalId, ignoring case) to a portal role. */
export interface RoleRulesTable {
  tenant_id: string;
  id: string;
  match_by: 'displayName' | 'externalId';
  match_value: string;
  role: PortalRoleName;
  created_at: Timestamp;
}

export interface ProvisioningLogTable {
  tenant_id: string;
  id: BigId;
  occurred_at: Timestamp;
  client_id: string | null;
  request_id: string | null;
  operation: string;
  target_id: string | null;
  target_user_name: string | null;
  target_external_id: string | null;
  http_status: number;
  outcome: 'success' | 'failure';
  scim_type: string | null;
  detail: string | null;
  changes: Json<unknown> | null;
  duration_ms: number;
}

/**
 * How many accounts a tenant has, kept exact by the statements that insert and delete them (src/store/accounts.ts):
 * an unfiltered SCIM list reads its totalResults here instead of counting (issue 14). No row reads as 0.
 */
export interface AccountCountsTable {
  tenant_id: string;
  /** bigint: pg gives it as a string, PGlite as a number. */
  accounts: ColumnType<string | number, number | string, number | string>;
}

/** Names an account carried before a rename or its deletion: how the log finds a user's older entries. */
export interface AccountFormerNamesTable {
  tenant_id: string;
  id: BigId;
  account_id: string;
  user_name: string;
  external_id: string | null;
  until: Timestamp;
}

export interface OAuthClientsTable {
  tenant_id: string;
  client_id: string;
  status: ColumnType<'active' | 'revoked', 'active' | 'revoked' | undefined, 'active' | 'revoked'>;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface OAuthClientSecretsTable {
  tenant_id: string;
  client_id: string;
  id: string;
  /** A digest (src/oauth/secrets.ts), never the secret. */
  secret_hash: string;
  created_at: Timestamp;
  /** Null for the current secret; set on older secrets by a rotation's overlap. */
  expires_at: Timestamp | null;
}

export interface SecretTokensTable {
  tenant_id: string;
  id: string;
  token_hash: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** Which tenant a credential belongs to, read before anything else (issue 18): a reference table under Citus. */
export interface CredentialTenantsTable {
  kind: CredentialKind;
  /** An OAuth client's client_id, or a secret token's digest. */
  credential_key: string;
  tenant_id: string;
}

export type CredentialKind = 'oauth-client' | 'secret-token';

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: Json<Record<string, unknown>>;
  /** The private JWK as JSON: sealed under the encryption key when `sealed`, else in clear (written by versions before issue 12; sealed at start). */
  private_key: string;
  sealed: boolean;
  created_at: Timestamp;
  retired_at: Timestamp | null;
  publish_until: Timestamp | null;
}

export interface PortalClientsTable {
  tenant_id: string;
  id: string;
  name: string;
  source: string;
  external_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AssetsTable {
  tenant_id: string;
  id: string;
  portal_client_id: string;
  source: string;
  external_id: string;
  name: string;
  serial_number: string | null;
  mac_addresses: Json<string[]>;
  model: string | null;
  manufacturer: string | null;
  os_name: string | null;
  device_class: string | null;
  /** What N-central reports for an asset it feeds (migration 2026-12-04-0130); null for other sources. */
  ncentral_customer_id: ColumnType<string | null, string | null | undefined, string | null>;
  ncentral_site_id: ColumnType<string | null, string | null | undefined, string | null>;
  last_check_in: NullableTimestamp;
  /** The MAC addresses as 12 lower-case hex digits each, comma-separated: what a MAC search matches. */
  mac_search: ColumnType<string, string | undefined, string>;
  removed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type AssetChangeKind = 'created' | 'updated' | 'linked' | 'removed';

/** What a sync run did to one asset, written in the transaction of the change (issue 13). */
export interface AssetChangesTable {
  tenant_id: string;
  id: BigId;
  run_id: string;
  asset_id: string;
  kind: AssetChangeKind;
  detail: Json<Record<string, unknown>>;
  occurred_at: Timestamp;
}

export interface NcentralConnectionsTable {
  tenant_id: string;
  base_url: string;
  token_sealed: string;
  ca_pem: string | null;
  device_sync: ColumnType<boolean, boolean | undefined, boolean>;
  assets_under_parent: ColumnType<boolean, boolean | undefined, boolean>;
  ignore_sync_requirements: ColumnType<boolean, boolean | undefined, boolean>;
  sync_time: ColumnType<string, string | undefined, string>;
  ncentral_version: string | null;
  verified_at: Timestamp | null;
  finished_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type MappingState = 'unmatched' | 'matched' | 'to_create' | 'excluded';

export interface NcentralOrgUnitsTable {
  tenant_id: string;
  org_unit_id: string;
  kind: 'customer' | 'site';
  name: string;
  parent_id: string;
  state: ColumnType<MappingState, MappingState | undefined, MappingState>;
  portal_client_id: string | null;
  note: string | null;
  gone_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface NcentralDevicesTable {
  tenant_id: string;
  device_id: string;
  fingerprint: string;
  asset_id: string;
  linked: boolean;
  portal_client_id: string;
  removed_at: Timestamp | null;
  /** Which answer of N-central confirmed the removal: 'notFound', 'deleted' or 'noPermission'. */
  removed_because: string | null;
  updated_at: Timestamp;
}

export type SyncTrigger = 'finish' | 'scheduled' | 'manual';
export type SyncStatus = 'running' | 'succeeded' | 'failed';

export interface NcentralSyncRunsTable {
  tenant_id: string;
  id: string;
  trigger: SyncTrigger;
  job_key: string | null;
  status: SyncStatus;
  phase: ColumnType<string, string | undefined, string>;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  ended_at: Timestamp | null;
  created: ColumnType<number, number | undefined, number>;
  linked: ColumnType<number, number | undefined, number>;
  updated: ColumnType<number, number | undefined, number>;
  unchanged: ColumnType<number, number | undefined, number>;
  removed: ColumnType<number, number | undefined, number>;
  skipped: ColumnType<number, number | undefined, number>;
  clients_created: ColumnType<number, number | undefined, number>;
  pages: ColumnType<number, number | undefined, number>;
  retries: ColumnType<number, number | undefined, number>;
  devices_seen: ColumnType<number, number | undefined, number>;
  devices_total: number | null;
  error: string | null;
  /** The NcentralError kind that failed the run (e.g. 'serverMisbehaved'), null for other failures. */
  error_code: string | null;
  /** How N-central answered for each device missing from the pass: { notFound, deleted, noPermission, present, unanswered }. */
  removal_answers: ColumnType<Record<string, number>, Record<string, number> | string | undefined, Record<string, number> | string>;
}

export interface AdminTokensTable {
  id: string;
  /** Null: a service-wide admin. */
  tenant_id: string | null;
  label: string | null;
  role: 'viewer' | 'admin';
  token_hash: string;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface ConsoleSessionsTable {
  /** SHA-256 (hex) of the 256-bit session id the cookie carries. */
  id_hash: string;
  /** Null: a service-wide operator's session. */
  tenant_id: string | null;
  via: 'admin-token' | 'oidc';
  subject: string;
  role: 'viewer' | 'admin';
  admin_token_id: string | null;
  identity_claims: Json<Record<string, unknown>> | null;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
}

/** One row (id 1): the keyed fingerprint of the key that sealed the stored secrets (src/crypto/key-fingerprint.ts). */
export interface EncryptionKeyFingerprintTable {
  id: number;
  fingerprint: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A SCIM group (migration 2026-12-04-0140); its members are rows of group_members, never a list here. */
export interface GroupsTable {
  tenant_id: string;
  id: string;
  display_name: string;
  external_id: string | null;
  version: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The first-run setup link's code (one row at most, slot 'first-run'); only its digest is kept. */
export interface SetupCodesTable {
  slot: 'first-run';
  code_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/** One row per (group, member account); primary key (tenant_id, group_id, account_id). */
export interface GroupMembersTable {
  tenant_id: string;
  group_id: string;
  account_id: string;
  added_at: Timestamp;
}

/** The key RFC 9865 cursors are sealed with, shared by every replica (migration 2026-12-05-0100). */
export interface ScimCursorKeyTable {
  id: number;
  /** 32 random bytes, base64. */
  key: string;
  created_at: Timestamp;
}

/**
 * One audit entry (migration 2026-12-05-0500, issue 19). Append-only: nothing updates a row, and only the
 * retention purge deletes (a prefix of seq, recording what it removed). The hash covers every other column.
 */
export interface AuditEntriesTable {
  tenant_id: string;
  /** 1, 2, 3… per tenant_id; bigint, read back as a string by pg. */
  seq: ColumnType<string, number | string, never>;
  id: string;
  occurred_at: Timestamp;
  actor_type: string;
  actor_id: string | null;
  actor_label: string | null;
  source_ip: string | null;
  user_agent: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: 'success' | 'failure' | 'refused';
  changes: Json<Record<string, unknown>> | null;
  detail: Json<Record<string, unknown>> | null;
  prev_hash: string | null;
  hash: string;
}

export interface DB {
  tenants: TenantsTable;
  accounts: AccountsTable;
  provisioning_log: ProvisioningLogTable;
  account_former_names: AccountFormerNamesTable;
  account_counts: AccountCountsTable;
  oauth_clients: OAuthClientsTable;
  oauth_client_secrets: OAuthClientSecretsTable;
  secret_tokens: SecretTokensTable;
  credential_tenants: CredentialTenantsTable;
  signing_keys: SigningKeysTable;
  portal_clients: PortalClientsTable;
  assets: AssetsTable;
  asset_changes: AssetChangesTable;
  ncentral_connections: NcentralConnectionsTable;
  ncentral_org_units: NcentralOrgUnitsTable;
  ncentral_devices: NcentralDevicesTable;
  ncentral_sync_runs: NcentralSyncRunsTable;
  admin_tokens: AdminTokensTable;
  console_sessions: ConsoleSessionsTable;
  encryption_key_fingerprint: EncryptionKeyFingerprintTable;
  setup_codes: SetupCodesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  role_rules: RoleRulesTable;
  scim_cursor_key: ScimCursorKeyTable;
  audit_entries: AuditEntriesTable;
}

export type Tenant = Selectable<TenantsTable>;
export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type OAuthClient = Selectable<OAuthClientsTable>;
export type SecretToken = Selectable<SecretTokensTable>;
export type SigningKey = Selectable<SigningKeysTable>;
export type ProvisioningLogRow = Selectable<ProvisioningLogTable>;
export type NewProvisioningLogRow = Insertable<ProvisioningLogTable>;
export type PortalClient = Selectable<PortalClientsTable>;
export type Asset = Selectable<AssetsTable>;
export type AssetChangeRow = Selectable<AssetChangesTable>;
export type NcentralConnection = Selectable<NcentralConnectionsTable>;
export type NcentralOrgUnit = Selectable<NcentralOrgUnitsTable>;
export type NcentralDeviceRow = Selectable<NcentralDevicesTable>;
export type NcentralSyncRun = Selectable<NcentralSyncRunsTable>;
export type AdminToken = Selectable<AdminTokensTable>;
export type Group = Selectable<GroupsTable>;
export type RoleRuleRow = Selectable<RoleRulesTable>;
export type AuditEntryRow = Selectable<AuditEntriesTable>;
