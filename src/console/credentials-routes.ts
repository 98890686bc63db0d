import { actorFromRequest } from '../audit/request-actor.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpFailure } from '../http/errors.js';
import {
  createClient,
  createSecretToken,
  CredentialError,
  revokeOAuthClient,
  revokeTenantSecretToken,
  rotateClientSecret,
  tenantClients,
  tenantSecretTokens,
} from '../oauth/credential-service.js';
import { publicBaseUrl, tokenEndpointFor } from '../oauth/urls.js';
import { formOf, queryOf, sendPage, tenantOf, type ConsoleContext } from './context.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, formatTime, notice, page } from './layout.js';

/** What Entra's provisioning "Admin Credentials" form asks for, shown once beside a new secret. */
interface Shown {
  title: string;
  fields: Array<{ label: string; value: string; secret?: boolean }>;
}

const NOTICES: Record<string, string> = {
  'client-revoked': 'The OAuth client is revoked: it gets no new tokens, and its tokens stop working within seconds.',
  'token-revoked': 'The secret token is revoked.',
};

const OVERLAPS: Record<string, number> = { now: 0, '1h': 3600_000, '24h': 24 * 3600_000, '7d': 7 * 24 * 3600_000 };

/** Credentials (admins only): the tenant's OAuth clients and secret tokens, through the auth issue's service. */
export async function credentialsRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const deps = { db: ctx.deps.database.db, clock: ctx.deps.clock };
  const admin = { config: { access: 'admin' as const } };

  const render = async (request: FastifyRequest, reply: FastifyReply, shown?: Shown, message?: SafeHtml) => {
    const { tenantId } = tenantOf(request);
    const [clients, tokens] = await Promise.all([tenantClients(deps, tenantId), tenantSecretTokens(deps, tenantId)]);
    const session = request.consoleSession;
    const done = NOTICES[queryOf(request)['done'] ?? ''];
    return sendPage(
      reply,
      page({
        title: 'Credentials',
        session,
        section: 'credentials',
        body: html`
          ${message ?? ''}${done ? notice('ok', done) : ''}
          ${shown
            ? html`<section class="notice ok" aria-labelledby="shown"><h2 id="shown">${shown.title}</h2>
                <p><strong>Copy the secret now: it is shown only this once.</strong> Paste these into Entra ID → Enterprise application →
                Provisioning → Admin Credentials, then <em>Test Connection</em>.</p>
                <dl class="detail">${shown.fields.map(
                  (f, i) => html`<dt>${f.label}</dt><dd><code class="${f.secret ? 'secret' : ''}" id="shown-${i}">${f.value}</code>
                    <button type="button" class="secondary" data-copy="shown-${i}">Copy</button></dd>`,
                )}</dl></section>`
            : ''}
          <h2 id="clients">OAuth clients (client credentials)</h2>
          <form method="post" action="/console/credentials/clients">${csrfField(session)}<button type="submit">Create OAuth client</button></form>
          ${clients.length === 0
            ? html`<p class="muted">No OAuth clients yet.</p>`
            : html`<table aria-labelledby="clients"><thead><tr><th scope="col">Client id</th><th scope="col">Status</th><th scope="col">Created (UTC)</th>
                <th scope="col">Last used (UTC)</th><th scope="col">Actions</th></tr></thead><tbody>${clients.map(
                  (c) => html`<tr><td><code>${c.client_id}</code></td>
                    <td>${c.status === 'active' ? html`<span class="badge ok">Active</span>` : html`<span class="badge bad">Revoked</span>`}</td>
                    <td>${formatTime(c.created_at)}</td><td>${formatTime(c.last_used_at)}</td>
                    <td>${c.status === 'active'
                      ? html`<form class="inline" method="post" action="/console/credentials/clients/rotate">${csrfField(session)}
                            <input type="hidden" name="clientId" value="${c.client_id}">
                            <label class="inline" for="overlap-${c.client_id}">Old secret works
                              <select id="overlap-${c.client_id}" name="overlap"><option value="1h">1 more hour</option><option value="24h">24 more hours</option>
                              <option value="7d">7 more days</option><option value="now">not at all</option></select></label>
                            <button type="submit" class="secondary">Rotate secret</button></form>
                          <form class="inline" method="post" action="/console/credentials/clients/revoke" data-confirm="Revoke this client? Entra will stop provisioning with it.">
                            ${csrfField(session)}<input type="hidden" name="clientId" value="${c.client_id}">
                            <button type="submit" class="danger" aria-label="Revoke client ${c.client_id}">Revoke</button></form>`
                      : ''}</td></tr>`,
                )}</tbody></table>`}
          <h2 id="tokens">Secret tokens (Entra's “Secret Token” field)</h2>
          <form method="post" action="/console/credentials/tokens">${csrfField(session)}<button type="submit">Create secret token</button></form>
          ${tokens.length === 0
            ? html`<p class="muted">No secret tokens yet.</p>`
            : html`<table aria-labelledby="tokens"><thead><tr><th scope="col">Token id</th><th scope="col">Status</th><th scope="col">Created (UTC)</th>
                <th scope="col">Last used (UTC)</th><th scope="col">Actions</th></tr></thead><tbody>${tokens.map(
                  (s) => html`<tr><td><code>${s.id}</code></td>
                    <td>${s.revoked_at ? html`<span class="badge bad">Revoked</span>` : html`<span class="badge ok">Active</span>`}</td>
                    <td>${formatTime(s.created_at)}</td><td>${formatTime(s.last_used_at)}</td>
                    <td>${s.revoked_at
                      ? ''
                      : html`<form class="inline" method="post" action="/console/credentials/tokens/revoke" data-confirm="Revoke this secret token?">
                          ${csrfField(session)}<input type="hidden" name="id" value="${s.id}">
                          <button type="submit" class="danger" aria-label="Revoke token ${s.id}">Revoke</button></form>`}</td></tr>`,
                )}</tbody></table>`}`,
      }),
    );
  };

  const urls = (request: FastifyRequest) => {
    const base = publicBaseUrl(ctx.deps.config, request);
    return { tenantUrl: `${base}/scim/v2/tenants/${tenantOf(request).tenantId}`, tokenEndpoint: tokenEndpointFor(base) };
  };

  /** An operator's mistake (a client already revoked, an id from another tenant) is a page, not a 500. */
  const operatorError = (err: unknown): never => {
    if (err instanceof CredentialError) throw new HttpFailure({ status: 404, reason: 'notFound', detail: err.message });
    throw err;
  };

  app.get('/credentials', admin, async (request, reply) => render(request, reply));

  app.post('/credentials/clients', admin, async (request, reply) => {
    const { clientId, clientSecret } = await createClient(deps, tenantOf(request).tenantId, actorFromRequest(request));
    const { tenantUrl, tokenEndpoint } = urls(request);
    request.log.info({ event: 'console.client.create', clientId, by: tenantOf(request).user.subject }, 'OAuth client created');
    return render(request, reply, {
      title: 'New OAuth client',
      fields: [
        { label: 'Tenant URL', value: tenantUrl },
        { label: 'Token Endpoint', value: tokenEndpoint },
        { label: 'Client Identifier', value: clientId },
        { label: 'Client Secret', value: clientSecret, secret: true },
      ],
    });
  });

  app.post('/credentials/clients/rotate', admin, async (request, reply) => {
    const form = formOf(request);
    const clientId = form['clientId'] ?? '';
    const overlap = OVERLAPS[form['overlap'] ?? 'now'] ?? 0;
    const until = new Date(ctx.deps.clock.now().getTime() + overlap);
    const { clientSecret } = await rotateClientSecret(deps, tenantOf(request).tenantId, clientId, until, actorFromRequest(request)).catch(operatorError);
    const { tenantUrl, tokenEndpoint } = urls(request);
    request.log.info({ event: 'console.client.rotate', clientId, by: tenantOf(request).user.subject }, 'OAuth client secret rotated');
    return render(request, reply, {
      title: `New secret for ${clientId}`,
      fields: [
        { label: 'Tenant URL', value: tenantUrl },
        { label: 'Token Endpoint', value: tokenEndpoint },
        { label: 'Client Identifier', value: clientId },
        { label: 'Client Secret', value: clientSecret, secret: true },
      ],
    }, overlap > 0 ? notice('info', `The previous secret keeps working until ${formatTime(until)}.`) : undefined);
  });

  app.post('/credentials/clients/revoke', admin, async (request, reply) => {
    const clientId = formOf(request)['clientId'] ?? '';
    await revokeOAuthClient(deps, tenantOf(request).tenantId, clientId, actorFromRequest(request)).catch(operatorError);
    request.log.info({ event: 'console.client.revoke', clientId, by: tenantOf(request).user.subject }, 'OAuth client revoked');
    return reply.redirect('/console/credentials?done=client-revoked', 303);
  });

  app.post('/credentials/tokens', admin, async (request, reply) => {
    const { id, token } = await createSecretToken(deps, tenantOf(request).tenantId, actorFromRequest(request));
    const { tenantUrl } = urls(request);
    request.log.info({ event: 'console.secret-token.create', id, by: tenantOf(request).user.subject }, 'secret token created');
    return render(request, reply, {
      title: 'New secret token',
      fields: [
        { label: 'Tenant URL', value: tenantUrl },
        { label: 'Secret Token', value: token, secret: true },
      ],
    });
  });

  app.post('/credentials/tokens/revoke', admin, async (request, reply) => {
    const id = formOf(request)['id'] ?? '';
    await revokeTenantSecretToken(deps, tenantOf(request).tenantId, id, actorFromRequest(request)).catch(operatorError);
    request.log.info({ event: 'console.secret-token.revoke', id, by: tenantOf(request).user.subject }, 'secret token revoked');
    return reply.redirect('/console/credentials?done=token-revoked', 303);
  });
}
