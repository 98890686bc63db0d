import type { FastifyInstance, FastifyReply } from 'fastify';
import { actorFromRequest } from '../audit/request-actor.js';
import { TenantError } from '../tenants/service.js';
import { formOf, queryOf, sendPage, type ConsoleContext } from './context.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, notice, page } from './layout.js';
import type { ConsoleSession, SignedInUser } from './session.js';
import { createSetupService, SetupRefused, type SetupRefusal } from './setup-service.js';
import { ensureAnonymousSession, startSession } from './sign-in-routes.js';

const REFUSALS: Record<SetupRefusal, { status: number; title: string; words: string }> = {
  unknown: {
    status: 410,
    title: 'This setup link no longer works',
    words:
      'It has been used already, or a newer link replaced it when the service started again. Each start on an empty database logs a new link: use the newest "setup link" line in the service\'s log. If setup is done, sign in instead.',
  },
  expired: {
    status: 410,
    title: 'This setup link has expired',
    words: 'Setup links work for 24 hours. Restart the service to log a new one.',
  },
  'already-set-up': {
    status: 410,
    title: 'This service is already set up',
    words: 'An admin token exists, so the setup link opens nothing. Sign in with an admin token instead.',
  },
};

/**
 * First run in the browser (issue 12): the link main.ts logs on an unset database leads here. The GET shows the
 * form; the POST (with CSRF) uses the code once, creates the first tenant and a service-wide admin, signs the
 * browser in and leads to creating the OAuth client Entra asks for.
 */
export async function setupRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const setup = createSetupService(ctx.deps);
  const open = { config: { access: 'public' as const } };

  const refusedPage = (reply: FastifyReply, reason: SetupRefusal) => {
    const refusal = REFUSALS[reason];
    return sendPage(
      reply,
      page({ title: refusal.title, session: null, body: html`<p>${refusal.words}</p><p><a href="/console/sign-in">Go to sign-in</a></p>` }),
      refusal.status,
    );
  };

  const formPage = (session: ConsoleSession, code: string, tenantName: string, message?: SafeHtml) =>
    page({
      title: 'Set up portal provisioning',
      session,
      body: html`${message ?? ''}
        <p>This one-time link makes you the service's first administrator. Name the first tenant (the MSP whose
        Entra ID will provision users); you can add more tenants later.</p>
        <form method="post" action="/console/setup">
          ${csrfField(session)}
          <input type="hidden" name="code" value="${code}">
          <p><label for="tenant">First tenant's name<input id="tenant" name="tenant" value="${tenantName}" required maxlength="200" size="40" autocomplete="organization"></label></p>
          <button type="submit">Create tenant and sign in</button>
        </form>`,
    });

  app.get('/setup', open, async (request, reply) => {
    const code = queryOf(request)['code'] ?? '';
    const verdict = await setup.check(code);
    if (verdict !== 'valid') return refusedPage(reply, verdict);
    return sendPage(reply, formPage(ensureAnonymousSession(ctx, request, reply), code, ''));
  });

  app.post('/setup', open, async (request, reply) => {
    const form = formOf(request);
    const code = form['code'] ?? '';
    const name = form['tenant'] ?? '';
    let done;
    try {
      done = await setup.complete(code, name, actorFromRequest(request));
    } catch (err) {
      if (err instanceof SetupRefused) {
        request.log.info({ reason: err.reason }, 'setup link refused');
        return refusedPage(reply, err.reason);
      }
      if (err instanceof TenantError) {
        const session = ensureAnonymousSession(ctx, request, reply);
        return sendPage(reply, formPage(session, code, name, notice('bad', err.message)), 400);
      }
      throw err;
    }
    const { tenant, adminToken } = done;
    // A service-wide admin looking at the new tenant: the same session a service-wide admin token's sign-in opens.
    const user: SignedInUser = {
      subject: `admin-token:${adminToken.id}`,
      via: 'admin-token',
      tokenId: adminToken.id,
      role: 'admin',
      tenantId: tenant.id,
      tenantName: tenant.name,
      serviceWide: true,
    };
    await startSession(ctx, reply, user, null);
    request.log.info({ event: 'console.setup', tenantId: tenant.id, adminTokenId: adminToken.id }, 'first-run setup completed');
    const session = request.consoleSession;
    return sendPage(
      reply,
      page({
        title: 'Setup complete',
        session,
        section: 'credentials',
        body: html`${notice('ok', html`Tenant <strong>${tenant.name}</strong> is created and you are signed in as a service-wide administrator.`)}
          <section class="notice" aria-labelledby="admin-token"><h2 id="admin-token">Your admin token</h2>
            <p><strong>Copy it now: it is shown only this once.</strong> It signs you in again after this session ends
            (a restart ends sessions unless <code>CONSOLE_SESSION_SECRET</code> is set).</p>
            <p><code class="secret" id="admin-token-value">${adminToken.token}</code>
            <button type="button" class="secondary" data-copy="admin-token-value">Copy</button></p></section>
          <h2>Next: connect Entra ID</h2>
          <p>Entra's provisioning asks for four values: Tenant URL, Token Endpoint, Client Identifier and Client Secret.
          Create an OAuth client for ${tenant.name} to get them.</p>
          <form method="post" action="/console/credentials/clients">${csrfField(session)}<button type="submit">Create OAuth client</button></form>`,
      }),
    );
  });
}
