import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import { adminScope, createAdminAuthenticator } from './admin/admin-auth.js';
import { createAuditReadService } from './audit/read-service.js';
import { auditRoutes } from './audit/routes.js';
import { authenticateAdminToken } from './admin/admin-token-service.js';
import type { AdminTokenVerifier } from './console/context.js';
import { consoleErrorFamily } from './console/errors.js';
import { consolePlugin } from './console/plugin.js';
import type { Deps } from './deps.js';
import { errorsPlugin, frameworkErrorRenderer, type ErrorFamily } from './http/errors.js';
import { healthPlugin } from './http/health.js';
import { createHttpsServing } from './http/https-server.js';
import { metricsPlugin } from './http/metrics.js';
import { openApiPlugin } from './http/openapi.js';
import type { AdminPrincipal, Authenticator, ScimPrincipal } from './http/principal.js';
import { requestContextPlugin, requestIdFrom } from './http/request-context.js';
import { tenantFairSharePlugin } from './http/tenant-fair-share.js';
import { createAuth } from './oauth/auth.js';
import { oauthErrorFamily } from './oauth/errors.js';
import { oauthRoutes } from './oauth/routes.js';
import { scimErrorFamily } from './scim/errors.js';
import { scimRoutes } from './scim/routes.js';
import { ScimUserService } from './scim/service.js';
import { createGroupService } from './scim/group-service.js';
import { LoggedCalls } from './scim/logged-calls-service.js';
import type { NcentralConnector } from './ncentral/connector.js';
import { ncentralRoutes } from './ncentral/routes.js';
import { createAccountReadService } from './portal/account-service.js';
import { createAssetService } from './portal/asset-service.js';
import { createClientService } from './portal/client-service.js';
import { portalRoutes } from './portal/routes.js';
import { createNcentralService, type NcentralService } from './ncentral/service.js';
import { provisioningLogRoutes } from './provisioning-log/routes.js';
import { roleRuleRoutes } from './roles/routes.js';
import { createRoleRuleService } from './roles/rule-service.js';
import { TenantFairShare } from './tenants/fair-share.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Commits provisioning-log entries still waiting in the read/failure batcher. */
    flushProvisioningLog(): Promise<void>;
  }
}

/** Seams for tests: replace how a route family authenticates. Production passes nothing. */
export interface AppOptions {
  scimAuthenticator?: Authenticator<ScimPrincipal>;
  adminAuthenticator?: Authenticator<AdminPrincipal>;
  /** How the console checks an admin token at sign-in (default: the admin tokens of `admin-token create`). */
  consoleAdminTokens?: AdminTokenVerifier;
  /** The N-central feature; main.ts passes the one its scheduler drives, tests one with a fake connector. */
  ncentral?: NcentralService;
  /** Tests: how the N-central service reaches its server (a fake), when `ncentral` is not given. */
  ncentralConnector?: NcentralConnector;
  /** Sees every route as it is added (the contract test lists them against the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
}

/** Builds the whole HTTP app from its dependencies; main.ts listens on it and tests inject() into it. */
export async function buildApp(deps: Deps, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = deps;
  // Every failure under /scim (Fastify's own 404/413/415/400 included) is phrased as a SCIM Error, under /oauth2 as
  // an RFC 6749 error.
  const errorFamilies: ErrorFamily[] = [consoleErrorFamily, scimErrorFamily, oauthErrorFamily];
  // Node only enforces requestTimeout when it is given at construction, and checks it every
  // connectionsCheckingInterval (30 s by default): without these a slow body held a socket open indefinitely.
  const http = { maxHeaderSize: config.maxHeaderBytes, requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: 1000 };
  // TLS_CERT_FILE/TLS_KEY_FILE: the service serves https itself, with the same limits.
  const https = config.tls
    ? createHttpsServing(config.tls, { http, keepAliveTimeoutMs: config.keepAliveTimeoutMs, requestTimeoutMs: config.requestTimeoutMs })
    : undefined;
  const app = Fastify({
    frameworkErrors: frameworkErrorRenderer(errorFamilies),
    // Typed as Fastify's base logger so the app keeps the default instance type plugins are written against.
    loggerInstance: deps.log as FastifyBaseLogger,
    // Our request-context plugin writes the one line per request, without headers.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: (req) => requestIdFrom(req.headers),
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    routerOptions: { maxParamLength: 200 },
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    http,
    ...(https ? { serverFactory: https.serverFactory } : {}),
  });
  if (https) {
    deps.log.info({ tls: https.served() }, 'serving https');
    const expiresInDays = (Date.parse(https.served().validTo) - deps.clock.now().getTime()) / 86_400_000;
    if (expiresInDays < 14) deps.log.warn({ tls: https.served() }, expiresInDays < 0 ? 'the TLS certificate has expired' : 'the TLS certificate expires within 14 days');
    const renewals = https.watch(deps.log);
    app.addHook('onClose', async () => renewals.stop());
  }

  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.decorateRequest('principal', null);

  const auth = createAuth(deps);
  // SCIM routes authenticate with access tokens from our token endpoint or secret tokens, unless a test overrides it.
  const scimAuthenticator = options.scimAuthenticator ?? auth.scimAuthenticator;

  await app.register(errorsPlugin, { families: errorFamilies });
  await app.register(requestContextPlugin);
  await app.register(metricsPlugin, { metrics: deps.metrics, token: config.metricsToken });
  await app.register(healthPlugin, { database: deps.database });
  await app.register(openApiPlugin);
  // Each tenant's share of this process, for Entra's SCIM calls and, apart, for its admin API calls.
  await app.register(tenantFairSharePlugin, {
    share: new TenantFairShare({
      maxConcurrent: config.tenantMaxConcurrentRequests,
      perSecond: config.tenantRequestsPerSecond,
      burst: config.tenantRequestBurst,
    }),
    clock: deps.clock,
    families: [
      { name: 'scim', prefix: '/scim/' },
      { name: 'admin', prefix: '/admin/' },
    ],
    onRefused: (tenantId, family, reason) => deps.metrics.recordTenantThrottled(tenantId, family, reason),
  });
  await app.register(oauthRoutes, {
    config: deps.config,
    clock: deps.clock,
    tokens: auth.tokens,
    keys: auth.keys,
    onTokenFailure: (reason) => deps.metrics.recordTokenFailure(reason),
  });

  // One entry writer for Users and Groups, so their read entries share batches and one flush drains both.
  const scimCalls = new LoggedCalls({
    db: deps.database.db,
    clock: deps.clock,
    logEnabled: config.provisioningLogEnabled,
    onLogError: (err, lost) => deps.log.error({ err, lost }, 'provisioning-log entries could not be written'),
    onOperation: (tenantId, operation, outcome, durationMs) => deps.metrics.recordScimOperation(tenantId, operation, outcome, durationMs),
  });
  const scimLimits = { maxFilterLength: config.scimMaxFilterLength, maxPatchOperations: config.scimMaxPatchOperations };
  const scimService = new ScimUserService(deps.database.db, deps.clock, config.provisioningLogEnabled, undefined, undefined, scimLimits, scimCalls);
  const scimGroups = createGroupService({ db: deps.database.db, clock: deps.clock, calls: scimCalls, limits: scimLimits });
  app.decorate('flushProvisioningLog', () => scimService.flushLog());
  app.addHook('onClose', () => scimService.flushLog());
  const scimOptions = { service: scimService, groups: scimGroups, authenticator: scimAuthenticator, publicBaseUrl: config.publicBaseUrl };
  await app.register(scimRoutes, { ...scimOptions, prefix: '/scim/v2' });
  // Entra's Tenant URL form: the path names the tenant, which must be the credential's own.
  await app.register(scimRoutes, { ...scimOptions, prefix: '/scim/v2/tenants/:tenantId' });

  // Operators' API: every route registered in this list sits behind the admin authenticator (admin tokens).
  const adminAuthenticator = options.adminAuthenticator ?? createAdminAuthenticator(deps);
  const ncentral = options.ncentral ?? createNcentralService(deps, options.ncentralConnector);
  // Runs started by "sync now" finish (or fail and are recorded) before the database closes.
  app.addHook('onClose', () => ncentral.drain());
  const portal = { clients: createClientService(deps), assets: createAssetService(deps), accounts: createAccountReadService(deps) };
  const adminRoutes = [provisioningLogRoutes(deps), ncentralRoutes(ncentral, deps.database.db), portalRoutes(portal, deps), roleRuleRoutes(createRoleRuleService(deps), deps.database.db)];
  adminRoutes.push(auditRoutes({ audit: createAuditReadService(deps), clock: deps.clock }));
  await app.register(adminScope(adminAuthenticator, adminRoutes), { prefix: '/admin/v1' });

  // The operator console: the same admin tokens sign in, or the organisation's OpenID provider.
  const consoleAdminTokens: AdminTokenVerifier =
    options.consoleAdminTokens ??
    (async (token) => {
      const principal = await authenticateAdminToken({ db: deps.database.db, clock: deps.clock }, token);
      return principal ? { ...principal, tokenId: principal.subject.replace(/^admin-token:/, '') } : null;
    });
  await app.register(consolePlugin, { prefix: '/console', deps, verifyAdminToken: consoleAdminTokens, ncentral });
  return app;
}
