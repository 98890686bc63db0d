import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAuditEntry } from '../audit/audit-service.js';
import { actorFromRequest } from '../audit/request-actor.js';
import { HttpFailure } from '../http/errors.js';
import { SCRIPT, SCRIPT_PATH, STYLESHEET, STYLESHEET_PATH } from './assets.js';
import { clearSession, cookieSettings, readSession, writeSession, type Access, type ConsoleContext, type ConsoleOptions } from './context.js';
import { discoverProvider, OidcDiscoveryError, type OidcProvider } from './oidc.js';
import { sameToken } from './session.js';
import { createConsoleSessionService } from './session-service.js';
import { credentialsRoutes } from './credentials-routes.js';
import { inventoryRoutes } from './inventory-routes.js';
import { logsRoutes } from './logs-routes.js';
import { ncentralRoutes } from './ncentral-routes.js';
import { setupRoutes } from './setup-routes.js';
import { signInRoutes } from './sign-in-routes.js';
import { rolesRoutes } from './roles-routes.js';
import { usersRoutes } from './users-routes.js';
import { tenantRoutes } from './tenant-routes.js';

/** The longest URL a sign-in redirect carries back in `next`. */
const MAX_NEXT_LENGTH = 2048;

const ASSET_HEADERS = { 'cache-control': 'public, max-age=31536000, immutable' };

/**
 * The operator console at /console: server-rendered pages over the same services the JSON admin API calls.
 * Encapsulated, so its cookie parsing, strict CSP and form parsing apply to /console only.
 */
export async function consolePlugin(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { config, clock } = options.deps;
  // Secure cookies when the console is reached over https: PUBLIC_BASE_URL's scheme, else whether we serve TLS.
  const secure = config.publicBaseUrl ? config.publicBaseUrl.startsWith('https://') : config.tls !== undefined;
  const cookie = cookieSettings(secure, config.consoleSessionTtlMinutes);
  // Without a configured secret each process signs with its own key: sessions end on restart and do not cross
  // replicas (README says so).
  const secret = config.consoleSessionSecret ?? randomBytes(32).toString('base64url');

  await app.register(fastifyCookie, { secret, hook: 'onRequest' });
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) await app.register(formbody);
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
    hsts: secure ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  });

  app.decorateRequest('consoleSession', null);

  const sessions = createConsoleSessionService(options.deps);

  app.addHook('onRequest', async (request, reply) => {
    const now = clock.now();
    const session = readSession(request, cookie, now);
    request.consoleSession = session;
    const isAsset = request.url.startsWith('/console/assets/');
    // The cookie says who; the server-side record says whether that still stands (assets need no one).
    if (session?.user && !isAsset) {
      const verdict = session.sid ? await sessions.check(session.sid, session.user) : ({ kind: 'ended', reason: 'unknown' } as const);
      if (verdict.kind === 'ended') {
        request.log.info({ reason: verdict.reason, via: session.user.via }, 'console session ended');
        clearSession(reply, cookie);
      } else if (verdict.kind === 'tenant-unavailable') {
        writeSession(reply, cookie, { ...session, user: { ...session.user, tenantId: null, tenantName: null } }, now);
      }
    }
    const user = request.consoleSession?.user;
    if (user?.tenantId) {
      request.principal = { kind: 'admin', tenantId: user.tenantId, subject: user.subject, role: user.role };
    }
    // Pages show tenant data and secrets shown once: never cached, never stored by the browser.
    if (!isAsset) reply.header('cache-control', 'no-store');
  });

  // CSRF: every state-changing request must echo the session's synchronizer token (OWASP CSRF cheat sheet).
  app.addHook('preHandler', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    const given = (request.body as Record<string, unknown> | undefined)?.['_csrf'];
    const session = request.consoleSession;
    if (!session || !sameToken(session.csrf, given)) {
      throw new HttpFailure({
        status: 403,
        reason: 'forbidden',
        detail: 'This form has expired or did not come from this console. Go back, reload the page and try again.',
      });
    }
  });

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const access: Access = request.routeOptions.config.access ?? 'tenant';
    if (access === 'public') return;
    const user = request.consoleSession?.user;
    if (!user) {
      if (request.method === 'GET') {
        // The way back is kept only while short: a URL near the header limit, encoded again, made a Location
        // header past what HTTP clients read (16 KiB), found by the fuzz run.
        const next = encodeURIComponent(request.url.length <= MAX_NEXT_LENGTH ? request.url : '/console');
        return reply.redirect(`/console/sign-in?next=${next}`, 303);
      }
      throw new HttpFailure({ status: 401, reason: 'unauthorized', detail: 'Your session has ended. Sign in again.' });
    }
    if (access === 'signed-in') return;
    if (!user.tenantId) {
      if (request.method === 'GET') return reply.redirect('/console/tenants', 303);
      throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'Choose a tenant first.' });
    }
    if (access === 'admin' && user.role !== 'admin') {
      // A viewer's attempt to change something is a refused action (issue 19); looking is not recorded.
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        await recordAuditEntry(options.deps.database.db, {
          tenantId: user.tenantId,
          actor: actorFromRequest(request),
          action: 'console.change',
          outcome: 'refused',
          detail: { reason: 'viewer role', method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0] },
          occurredAt: options.deps.clock.now(),
        });
      }
      throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'Your role is viewer: you can look, but not change anything.' });
    }
  });

  app.get(STYLESHEET_PATH.replace('/console', ''), { config: { access: 'public' } }, async (_req, reply) =>
    reply.headers(ASSET_HEADERS).type('text/css; charset=utf-8').send(STYLESHEET),
  );
  app.get(SCRIPT_PATH.replace('/console', ''), { config: { access: 'public' } }, async (_req, reply) =>
    reply.headers(ASSET_HEADERS).type('text/javascript; charset=utf-8').send(SCRIPT),
  );

  // Unknown console URLs get the console's page (and its headers), not the service-wide JSON 404.
  app.setNotFoundHandler(async (request) => {
    throw new HttpFailure({ status: 404, reason: 'notFound', detail: `There is no page at ${request.url.split('?')[0]}.` });
  });

  app.get('/', { config: { access: 'public' } }, async (request, reply) =>
    reply.redirect(request.consoleSession?.user ? '/console/logs' : '/console/sign-in', 303),
  );

  // Discovery runs once at start. If the provider cannot be reached the service still starts (SCIM must not
  // depend on the operators' identity provider); the sign-in page says why OIDC is unavailable until a restart.
  let oidc: OidcProvider | undefined;
  let oidcProblem: string | undefined;
  if (config.oidc) {
    try {
      oidc = await discoverProvider(config.oidc);
    } catch (err) {
      oidcProblem = err instanceof OidcDiscoveryError ? err.message : 'discovery failed';
      options.deps.log.error({ problem: oidcProblem }, 'OpenID Connect discovery failed; console OIDC sign-in is off');
    }
  }
  // Built field by field: Fastify passes register() options (prefix included) to the plugin, and a child given a
  // prefix again would mount under /console/console.
  const context: ConsoleContext = { deps: options.deps, verifyAdminToken: options.verifyAdminToken, ncentral: options.ncentral, cookie, sessions, oidc, oidcProblem };
  await app.register(signInRoutes, context);
  await app.register(setupRoutes, context);
  await app.register(tenantRoutes, context);
  await app.register(logsRoutes, context);
  await app.register(usersRoutes, context);
  await app.register(rolesRoutes, context);
  await app.register(credentialsRoutes, context);
  await app.register(inventoryRoutes, context);
  if (options.ncentral) await app.register(ncentralRoutes, { ...context, ncentral: options.ncentral });
}
