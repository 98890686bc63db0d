import oauth2, { type OAuth2Namespace } from '@fastify/oauth2';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SERVICE_WIDE, type AuditActor, type AuditOutcome } from '../audit/audit-entry.js';
import { recordAuditEntry } from '../audit/audit-service.js';
import { actorFromRequest } from '../audit/request-actor.js';
import { clearSession, formOf, type ConsoleContext, queryOf, safeNext, sendPage, writeSession } from './context.js';
import { html, type SafeHtml } from './html.js';
import { identityClaims, mapIdentity } from './identity-mapping.js';
import { csrfField, notice, page } from './layout.js';
import { IdTokenError, verifyIdToken, type OidcProvider } from './oidc.js';
import { anonymousSession, newToken, signedInSession, type ConsoleSession, type SignedInUser } from './session.js';
import { resolveTenantRef, tenantById } from './tenant-service.js';

/**
 * Opens the server-side record and writes the cookie naming it. A session the browser already had is revoked
 * first: after signing in again, the cookie from before opens nothing.
 */
export async function startSession(ctx: ConsoleContext, reply: FastifyReply, user: SignedInUser, claims: Record<string, unknown> | null): Promise<void> {
  await endSession(ctx, reply.request);
  const now = ctx.deps.clock.now();
  const expiresAt = new Date(now.getTime() + ctx.cookie.ttlMs);
  const sid = await ctx.sessions.open(user, claims, expiresAt);
  writeSession(reply, ctx.cookie, signedInSession(user, sid, expiresAt), now);
}

/** A form needs a CSRF token, so a browser without a session gets an anonymous one. */
export function ensureAnonymousSession(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): ConsoleSession {
  const existing = request.consoleSession;
  if (existing) return existing;
  const now = ctx.deps.clock.now();
  const fresh = anonymousSession(now, ctx.cookie.ttlMs);
  writeSession(reply, ctx.cookie, fresh, now);
  return fresh;
}

/**
 * A console sign-in, sign-out or refused attempt in the audit trail (issue 19): in the signed-in tenant's chain,
 * else the service's. The method (token or OIDC) and subject are recorded; the token presented never is.
 */
async function recordSignIn(
  ctx: ConsoleContext,
  entry: { action: 'console.sign_in' | 'console.sign_out'; actor: AuditActor; outcome: AuditOutcome; tenantId: string | null; method: 'token' | 'oidc'; reason?: string },
): Promise<void> {
  await recordAuditEntry(ctx.deps.database.db, {
    tenantId: entry.tenantId ?? SERVICE_WIDE,
    actor: entry.actor,
    action: entry.action,
    outcome: entry.outcome,
    detail: { method: entry.method, ...(entry.reason === undefined ? {} : { reason: entry.reason }) },
    occurredAt: ctx.deps.clock.now(),
  });
}

async function endSession(ctx: ConsoleContext, request: FastifyRequest): Promise<void> {
  const sid = request.consoleSession?.sid;
  if (sid) await ctx.sessions.revoke(sid);
}

export async function signInRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const { deps, cookie } = ctx;
  const { clock, database } = deps;
  const ttl = cookie.ttlMs;

  const ensureSession = (request: FastifyRequest, reply: FastifyReply): ConsoleSession => ensureAnonymousSession(ctx, request, reply);

  const signInPage = (session: ConsoleSession, next: string, message?: SafeHtml, status = 200) =>
    page({
      title: 'Sign in',
      session,
      body: html`
        ${message ?? ''}
        ${ctx.oidc
          ? html`<div class="card"><h2>With your organisation's account</h2>
              <p><a class="button" href="/console/sign-in/oidc">Sign in with OpenID Connect</a></p></div>`
          : ctx.oidcProblem
            ? notice('bad', html`OpenID Connect sign-in is configured but unavailable: ${ctx.oidcProblem}`)
            : ''}
        <div class="card">
          <h2>With an admin token</h2>
          <form method="post" action="/console/sign-in/token">
            ${csrfField(session)}
            <input type="hidden" name="next" value="${next}">
            <p><label for="token">Admin token<input id="token" name="token" type="password" autocomplete="off" required size="48"></label></p>
            <p class="muted">Created with <code>admin-token create --tenant NAME</code>.</p>
            <button type="submit">Sign in</button>
          </form>
        </div>`,
    });

  app.get('/sign-in', { config: { access: 'public' } }, async (request, reply) => {
    const session = ensureSession(request, reply);
    if (session.user) return reply.redirect('/console/logs', 303);
    return sendPage(reply, signInPage(session, safeNext(queryOf(request)['next'])));
  });

  app.post('/sign-in/token', { config: { access: 'public' } }, async (request, reply) => {
    const form = formOf(request);
    const session = ensureSession(request, reply);
    const identity = form['token'] ? await ctx.verifyAdminToken(form['token'].trim()) : null;
    if (!identity) {
      request.log.info({ via: 'admin-token' }, 'console sign-in refused');
      await recordSignIn(ctx, { action: 'console.sign_in', actor: actorFromRequest(request), outcome: 'refused', tenantId: null, method: 'token', reason: 'unknown, revoked or expired admin token' });
      return sendPage(reply, signInPage(session, safeNext(form['next']), notice('bad', 'That admin token is not valid (unknown, revoked or expired).')), 401);
    }
    const tenant = identity.tenantId ? await tenantById(database.db, identity.tenantId) : undefined;
    const user: SignedInUser = {
      subject: identity.subject,
      via: 'admin-token',
      tokenId: identity.tokenId,
      role: identity.role,
      tenantId: tenant?.id ?? null,
      tenantName: tenant?.name ?? null,
      serviceWide: identity.tenantId === null,
    };
    await startSession(ctx, reply, user, null);
    request.log.info({ via: 'admin-token', subject: user.subject, tenantId: user.tenantId }, 'console sign-in');
    await recordSignIn(ctx, { action: 'console.sign_in', actor: actorFromRequest(request), outcome: 'success', tenantId: identity.tenantId, method: 'token' });
    return reply.redirect(user.tenantId ? safeNext(form['next']) : '/console/tenants', 303);
  });

  // Revokes the server-side record, so a copy of the cookie kept anywhere stops working too.
  app.post('/sign-out', { config: { access: 'public' } }, async (request, reply) => {
    const user = request.consoleSession?.user;
    const actor = actorFromRequest(request);
    await endSession(ctx, request);
    if (user) await recordSignIn(ctx, { action: 'console.sign_out', actor, outcome: 'success', tenantId: user.serviceWide ? null : user.tenantId, method: user.via === 'oidc' ? 'oidc' : 'token' });
    clearSession(reply, cookie);
    return reply.redirect('/console/sign-in', 303);
  });

  if (ctx.oidc) await app.register(oidcRoutes, { ...ctx, provider: ctx.oidc });
}

async function oidcRoutes(app: FastifyInstance, ctx: ConsoleContext & { provider: OidcProvider }): Promise<void> {
  const { provider, cookie, deps } = ctx;
  const { clock, database, config } = deps;
  const authorize = new URL(provider.authorizationEndpoint);
  const token = new URL(provider.tokenEndpoint);
  const callbackUri = (request: FastifyRequest) =>
    `${config.publicBaseUrl ?? `${request.protocol}://${request.host}`}/console/sign-in/oidc/callback`;

  await app.register(oauth2, {
    name: 'oidc',
    scope: provider.config.scopes,
    credentials: {
      client: { id: provider.config.clientId, secret: provider.config.clientSecret },
      auth: {
        authorizeHost: authorize.origin,
        authorizePath: authorize.pathname,
        tokenHost: token.origin,
        tokenPath: token.pathname,
      },
    },
    callbackUri,
    pkce: 'S256',
    // The state and PKCE verifier cookies are signed with the session key and, over https, `__Host-` prefixed.
    cookie: { signed: true, secure: cookie.secure, path: cookie.secure ? '/' : '/console/sign-in/oidc', sameSite: 'lax', httpOnly: true },
    hostPrefixedCookies: cookie.secure,
  });
  const flow = (app as unknown as { oidc: OAuth2Namespace }).oidc;

  const refuse = (reply: FastifyReply, status: number, title: string, detail: SafeHtml) =>
    sendPage(reply, page({ title, session: null, body: html`${detail}<p><a href="/console/sign-in">Back to sign-in</a></p>` }), status);

  app.get('/sign-in/oidc', { config: { access: 'public' } }, async (request, reply) => {
    const base = request.consoleSession ?? anonymousSession(clock.now(), cookie.ttlMs);
    // Starting another sign-in leaves the current one: its record is revoked, not just forgotten by this cookie.
    await endSession(ctx, request);
    const session: ConsoleSession = { csrf: base.csrf, expiresAt: base.expiresAt, nonce: newToken() };
    const url = new URL(await flow.generateAuthorizationUri(request, reply));
    url.searchParams.set('nonce', session.nonce as string);
    writeSession(reply, cookie, session, clock.now());
    return reply.redirect(url.toString(), 303);
  });

  app.get('/sign-in/oidc/callback', { config: { access: 'public' } }, async (request, reply) => {
    const query = queryOf(request);
    if (query['error']) {
      return refuse(reply, 401, 'Sign-in did not complete', html`<p>Your identity provider answered: ${query['error']}${query['error_description'] ? html` — ${query['error_description']}` : ''}</p>`);
    }
    const nonce = request.consoleSession?.nonce;
    let claims;
    try {
      const result = await flow.getAccessTokenFromAuthorizationCodeFlow(request, reply);
      const idToken = (result.token as { id_token?: unknown }).id_token;
      if (typeof idToken !== 'string') throw new IdTokenError('the provider returned no id_token');
      claims = await verifyIdToken(provider, idToken, nonce, clock.now());
    } catch (err) {
      const why = err instanceof IdTokenError ? err.message : /state/i.test((err as Error).message) ? 'the sign-in state does not match this browser' : 'the provider refused the authorization code';
      request.log.warn({ via: 'oidc', problem: why }, 'console sign-in refused');
      await recordSignIn(ctx, { action: 'console.sign_in', actor: actorFromRequest(request), outcome: 'refused', tenantId: null, method: 'oidc', reason: why });
      return refuse(reply, 401, 'Sign-in failed', html`<p>Signing in failed: ${why}. Start again from the sign-in page.</p>`);
    }
    const mapping = mapIdentity(claims, provider.config);
    const tenant = mapping.kind === 'mapped' && mapping.tenantRef !== '*' ? await resolveTenantRef(database.db, mapping.tenantRef) : undefined;
    if (mapping.kind === 'refused' || (mapping.tenantRef !== '*' && !tenant)) {
      const reason = mapping.kind === 'refused' ? mapping.reason : `Your account is mapped to tenant “${mapping.tenantRef}”, which does not exist or is disabled.`;
      request.log.info({ via: 'oidc', identity: mapping.identity }, 'console sign-in refused: no tenant');
      await recordSignIn(ctx, {
        action: 'console.sign_in',
        actor: { ...actorFromRequest(request), type: 'oidc', id: typeof claims.sub === 'string' ? claims.sub : undefined, label: mapping.identity },
        outcome: 'refused',
        tenantId: null,
        method: 'oidc',
        reason,
      });
      clearSession(reply, cookie);
      return refuse(reply, 403, 'No access to this console', html`<p>You signed in as <strong>${mapping.identity}</strong>. ${reason}</p>
        <p>Ask the service's administrator to add you to <code>OIDC_ALLOW_LIST</code> or to give your account the tenant claim.</p>`);
    }
    const user: SignedInUser = {
      subject: mapping.identity,
      via: 'oidc',
      oidcSubject: typeof claims.sub === 'string' ? claims.sub : undefined,
      role: mapping.role,
      tenantId: tenant?.id ?? null,
      tenantName: tenant?.name ?? null,
      serviceWide: mapping.tenantRef === '*',
    };
    await startSession(ctx, reply, user, identityClaims(claims, provider.config));
    request.log.info({ via: 'oidc', subject: user.subject, tenantId: user.tenantId }, 'console sign-in');
    await recordSignIn(ctx, { action: 'console.sign_in', actor: actorFromRequest(request), outcome: 'success', tenantId: mapping.tenantRef === '*' ? null : (tenant?.id ?? null), method: 'oidc' });
    return reply.redirect(user.tenantId ? '/console/logs' : '/console/tenants', 303);
  });
}
