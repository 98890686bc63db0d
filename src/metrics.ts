import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics: one registry per Deps (never prom-client's global one, so tests can build
 * several apps), and small recording methods the features call. Label values are bounded: routes are
 * templates, tenants are ids of configured tenants, operations and reasons come from fixed lists.
 */
export interface Metrics {
  readonly registry: Registry;
  recordRequest(route: string, method: string, status: number, seconds: number): void;
  /** One SCIM operation as written to the provisioning log. */
  recordScimOperation(tenantId: string, operation: string, outcome: 'success' | 'failure', durationMs?: number): void;
  recordTokenIssued(tenantId: string): void;
  /** Why a token request or a bearer token was refused (e.g. invalid_client, expired, revoked). */
  recordTokenFailure(reason: string): void;
  recordPurge(deleted: number): void;
  /** A request refused because its tenant was over its share of the process (429). */
  recordTenantThrottled(tenantId: string, family: string, reason: 'concurrency' | 'rate'): void;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(source: { poolStats(): { total: number; idle: number; waiting: number } }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route template, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route template and method.',
    labelNames: ['route', 'method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const scimOperations = new Counter({
    name: 'scim_operations_total',
    help: 'SCIM operations by tenant, operation (as in the provisioning log) and outcome.',
    labelNames: ['tenant', 'operation', 'outcome'] as const,
    registers: [registry],
  });
  const scimSeconds = new Histogram({
    name: 'scim_operation_duration_seconds',
    help: 'SCIM operation latency by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const tokensIssued = new Counter({
    name: 'oauth_tokens_issued_total',
    help: 'Access tokens issued by the token endpoint, by tenant.',
    labelNames: ['tenant'] as const,
    registers: [registry],
  });
  const tokenFailures = new Counter({
    name: 'oauth_token_failures_total',
    help: 'Refused token requests and bearer tokens, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'tenant_requests_throttled_total',
    help: 'Requests refused with 429 because the tenant was over its share, by tenant, route family and limit.',
    labelNames: ['tenant', 'family', 'reason'] as const,
    registers: [registry],
  });
  const purged = new Counter({
    name: 'provisioning_log_purged_entries_total',
    help: 'Provisioning-log entries deleted by the retention purge.',
    registers: [registry],
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database connections by state (PGlite reports its single connection).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = source.poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });

  return {
    registry,
    recordRequest(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      requestSeconds.observe({ route, method }, seconds);
    },
    recordScimOperation(tenantId, operation, outcome, durationMs) {
      scimOperations.inc({ tenant: tenantId, operation, outcome });
      if (durationMs !== undefined) scimSeconds.observe({ operation, outcome }, durationMs / 1000);
    },
    recordTokenIssued: (tenantId) => tokensIssued.inc({ tenant: tenantId }),
    recordTokenFailure: (reason) => tokenFailures.inc({ reason }),
    recordPurge: (deleted) => purged.inc(deleted),
    recordTenantThrottled: (tenantId, family, reason) => throttled.inc({ tenant: tenantId, family, reason }),
  };
}
