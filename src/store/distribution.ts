import { sql, type RawBuilder } from 'kysely';

/**
 * Where every table of the schema would live on a Citus cluster (issue 18), in one list that the schema test
 * (test/store/distribution-schema.test.ts), the statement test (test/store/distribution-statements.test.ts) and
 * docs/scaling.md are checked against. A new table is added here, or the schema test fails naming it.
 *
 * - `distributed`: sharded by `tenant_id` and co-located with every other distributed table, so a tenant's rows
 *   sit on one worker and a statement filtered by `tenant_id = $n` runs on that worker alone.
 * - `reference`: small, service-wide, copied to every worker; any distributed table may reference and join it.
 * - `local`: stays on the coordinator only (never joined with tenant data).
 *
 * The order is the order of the Citus calls in docs/scaling.md: reference tables first (a distributed table's
 * foreign key needs its target distributed or replicated already), then distributed tables, each after the tables
 * it references. The schema test checks that order against the foreign keys.
 */
export type TablePlacement =
  | { kind: 'distributed'; note?: string }
  | { kind: 'reference'; reason: string }
  | { kind: 'local'; reason: string };

export interface ClassifiedTable {
  table: string;
  placement: TablePlacement;
}

/** The distribution column of every distributed table. */
export const DISTRIBUTION_COLUMN = 'tenant_id';

const distributed = (table: string, note?: string): ClassifiedTable => ({
  table,
  placement: note === undefined ? { kind: 'distributed' } : { kind: 'distributed', note },
});
const reference = (table: string, reason: string): ClassifiedTable => ({ table, placement: { kind: 'reference', reason } });
const local = (table: string, reason: string): ClassifiedTable => ({ table, placement: { kind: 'local', reason } });

export const TABLE_PLACEMENTS: readonly ClassifiedTable[] = [
  reference(
    'tenants',
    'one row per customer, read on every request; its unique lower(name) spans tenants, and reference tables (admin tokens, credential keys) point at it',
  ),
  reference('admin_tokens', 'service-wide admins have no tenant (tenant_id null); looked up by token digest before any tenant is known'),
  reference('signing_keys', 'one service-wide key set, read to sign and verify every access token'),
  reference(
    'credential_tenants',
    "maps each client id and secret-token digest to its tenant, read before the tenant is known (token requests, secret-token bearers); its primary key keeps those keys unique across tenants, which the distributed credential tables cannot",
  ),
  distributed('accounts'),
  distributed('account_counts', "one row per tenant, beside that tenant's accounts: the insert or delete of an account and its count's bump are one single-shard statement"),
  distributed('account_former_names'),
  distributed('provisioning_log', 'its bigint identity becomes a per-shard sequence; the cursor orders by (occurred_at, id) within a tenant'),
  distributed('groups'),
  distributed('group_members'),
  distributed('role_rules'),
  distributed('oauth_clients'),
  distributed('oauth_client_secrets'),
  distributed('secret_tokens'),
  distributed('portal_clients'),
  distributed('assets'),
  distributed('asset_changes'),
  distributed('ncentral_connections'),
  distributed('ncentral_org_units'),
  distributed('ncentral_devices'),
  distributed('ncentral_sync_runs'),
  distributed(
    'audit_entries',
    'service-wide entries carry the reserved tenant id 00000000-0000-0000-0000-000000000000, so they form one chain on one shard; entries have no foreign key (they outlive what they describe). The chain lock is a transaction advisory lock, taken on the coordinator',
  ),
  local('console_sessions', 'sessions of service-wide operators have no tenant; read and written by the coordinator on each console request, never joined with tenant data'),
  local('encryption_key_fingerprint', 'one row, read at start-up'),
  local('setup_codes', 'one row (the first-run setup link), service-wide'),
  local('scim_cursor_key', 'one row (the key RFC 9865 cursors are sealed with), read once per process'),
  local('kysely_migration', "Kysely's migration bookkeeping, run by the coordinator"),
  local('kysely_migration_lock', "Kysely's migration lock, taken on the coordinator"),
];

/** Schemas of their own that stay on the coordinator as they are (not listed table by table). */
export const LOCAL_SCHEMAS: readonly { schema: string; reason: string }[] = [
  { schema: 'pg-boss (DATABASE_SCHEMA + "_pgboss", or pgboss)', reason: 'the job queue of the nightly sync; pg-boss talks to the coordinator only' },
];

/**
 * A statement that touches distributed tables without pinning one tenant, on purpose. Each is marked in the code
 * with `.modifyEnd(fanOut('<id>'))` (a comment the statement test reads) and listed here with why it must read
 * across tenants and what that costs on a cluster; docs/scaling.md shows this list.
 */
export interface FanOutQuery {
  id: string;
  /** Where it runs. */
  where: string;
  why: string;
  /** What it costs on a cluster of N workers. */
  cost: string;
}

export const FAN_OUT_QUERIES: readonly FanOutQuery[] = [
  {
    id: 'service-wide-log-read',
    where: 'store/provisioning-log-queries.ts: a log page, export, summary or entry by id read by a service-wide admin (admin API without ?tenant=, console, CLI)',
    why: 'an operator looks across every tenant at once; each tenant is read through its own (tenant_id, occurred_at) index and the pages are merged',
    cost: 'one task per shard in parallel, each walking its tenants; the coordinator merges N small pages. Operator reads only, never on the SCIM path',
  },
  {
    id: 'retention-purge',
    where: 'store/account-former-names.ts: the daily purge past RETENTION_DAYS drops former user names (scheduler, CLI)',
    why: 'retention is one cutoff for the whole service, and former names are few and small; the provisioning log and asset changes are purged tenant by tenant instead, each statement pinned',
    cost: 'once a day, one DELETE that runs as one task per shard in parallel',
  },
  {
    id: 'service-wide-audit-read',
    where: 'store/audit-queries.ts: an audit page or export read by a service-wide admin across every tenant (admin API without ?tenant=, console, CLI audit search/tail)',
    why: 'an auditor looks across every tenant and the service-wide chain at once, in time order',
    cost: 'one task per shard in parallel, each walking its (occurred_at, tenant_id, seq) index; the coordinator merges N small pages. Operator reads only',
  },
  {
    id: 'audit-chains-scan',
    where: 'store/audit-queries.ts and store/audit-entries.ts: the tenants that have audit entries (older than the cutoff for the daily audit purge; all of them for audit verify)',
    why: 'the purge and verify then work chain by chain, each statement pinned to one tenant; only the list of chains spans tenants',
    cost: 'once a day (and per audit verify), one DISTINCT over every shard in parallel',
  },
];

const FAN_OUT_PREFIX = '/* fan-out: ';

/** The mark an intended fan-out statement carries: `.modifyEnd(fanOut('retention-purge'))`. */
export function fanOut(id: string): RawBuilder<unknown> {
  return sql.raw(` ${FAN_OUT_PREFIX}${id} */`);
}

/** The fan-out ids a statement's text is marked with. */
export function fanOutMarks(text: string): string[] {
  return [...text.matchAll(/\/\* fan-out: ([a-z0-9-]+) \*\//g)].map((m) => m[1] as string);
}

export function placementOf(table: string): TablePlacement | undefined {
  return TABLE_PLACEMENTS.find((t) => t.table === table)?.placement;
}

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The Citus calls, in order, as docs/scaling.md shows them (checked by test/store/distribution-docs.test.ts). */
export function citusSetupSql(): string {
  const lines = ['CREATE EXTENSION citus;'];
  const refs = TABLE_PLACEMENTS.filter((t) => t.placement.kind === 'reference');
  const dist = TABLE_PLACEMENTS.filter((t) => t.placement.kind === 'distributed');
  const locals = TABLE_PLACEMENTS.filter((t) => t.placement.kind === 'local');
  lines.push('-- Reference tables first: small, service-wide, copied to every worker; distributed tables reference them.');
  for (const t of refs) lines.push(`SELECT create_reference_table(${quote(t.table)});`);
  lines.push(`-- Distributed by ${DISTRIBUTION_COLUMN}, all co-located: a tenant's rows sit on one worker, and a write and its`);
  lines.push('-- provisioning-log entry stay one single-shard transaction. Each after the tables it references.');
  const [first] = dist;
  for (const t of dist) {
    const colocate = t === first ? '' : `, colocate_with => ${quote(first?.table ?? '')}`;
    lines.push(`SELECT create_distributed_table(${quote(t.table)}, ${quote(DISTRIBUTION_COLUMN)}${colocate});`);
  }
  lines.push('-- Local to the coordinator (no call needed; those with a foreign key to a reference table become');
  lines.push('-- Citus-managed local tables by themselves): ' + locals.map((t) => t.table).join(', ') + ', and the pg-boss schema.');
  return lines.join('\n');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The table of placements and reasons, as docs/scaling.md shows it. */
export function placementTableMarkdown(): string {
  const rows = TABLE_PLACEMENTS.map((t) => {
    const p = t.placement;
    const why = p.kind === 'distributed' ? (p.note ?? '') : p.reason;
    const kind = p.kind === 'distributed' ? `distributed by \`${DISTRIBUTION_COLUMN}\`` : p.kind;
    return `| \`${t.table}\` | ${kind} | ${cell(why)} |`;
  });
  const schemas = LOCAL_SCHEMAS.map((s) => `| ${s.schema} | local (schema) | ${cell(s.reason)} |`);
  return ['| Table | Placement | Why |', '|---|---|---|', ...rows, ...schemas].join('\n');
}

/** The intended fan-out statements, as docs/scaling.md shows them. */
export function fanOutTableMarkdown(): string {
  if (FAN_OUT_QUERIES.length === 0) return '_None: every statement the service runs on a distributed table pins one tenant._';
  const rows = FAN_OUT_QUERIES.map((q) => `| \`${q.id}\` | ${cell(q.where)} | ${cell(q.why)} | ${cell(q.cost)} |`);
  return ['| Mark | Where | Why it spans tenants | Cost on a cluster of N workers |', '|---|---|---|---|', ...rows].join('\n');
}
