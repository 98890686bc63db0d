import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SERVICE_WIDE } from '../audit/audit-entry.js';
import { recordAuditEntry } from '../audit/audit-service.js';
import { actorFromRequest } from '../audit/request-actor.js';
import { HttpFailure } from '../http/errors.js';
import { createTenant, renameTenant, setTenantEnabled, TenantError } from '../tenants/service.js';
import { formOf, queryOf, sendPage, userOf, writeSession, type ConsoleContext } from './context.js';
import { html } from './html.js';
import { csrfField, notice, page } from './layout.js';
import type { SignedInUser } from './session.js';
import { allTenants, tenantById } from './tenant-service.js';

const NOTICES: Record<string, string> = {
  created: 'The tenant is created. Open it, then create an OAuth client for its Entra ID.',
  renamed: 'The tenant is renamed. Its id, and so its Tenant URL in Entra, is unchanged; OIDC allow-list entries that name it by its old name no longer match.',
  disabled: 'The tenant is disabled: its clients get no new tokens, its tokens stop working within seconds, its admin tokens and console sessions at once.',
  enabled: 'The tenant is enabled again.',
};

/** A service-wide operator (admin token without a tenant, or allow-list `*`) picks the tenant the pages show. */
export async function tenantRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const { database, clock } = ctx.deps;
  const tenantDeps = { db: database.db, clock };
  const signedIn = { config: { access: 'signed-in' as const } };

  const onlyServiceWide = (serviceWide: boolean) => {
    if (!serviceWide) throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'Your sign-in belongs to one tenant.' });
  };

  /** Creating, renaming, disabling and enabling tenants: service-wide admins only, as the CLI's operator. */
  const manager = async (request: FastifyRequest, action: string): Promise<SignedInUser> => {
    const user = userOf(request);
    const refusal = !user.serviceWide ? 'not a service-wide operator' : user.role !== 'admin' ? 'viewer role' : undefined;
    if (refusal) {
      // Managing tenants without the right: refused, and recorded in the operator's own chain (issue 19).
      await recordAuditEntry(database.db, {
        tenantId: user.serviceWide ? SERVICE_WIDE : (user.tenantId ?? SERVICE_WIDE),
        actor: actorFromRequest(request),
        action,
        outcome: 'refused',
        detail: { reason: refusal },
        occurredAt: clock.now(),
      });
    }
    onlyServiceWide(user.serviceWide);
    if (user.role !== 'admin') throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'Your role is viewer: you can look, but not change anything.' });
    return user;
  };

  /** The tenant a form names, by id only (names are for people, and a renamed tenant keeps its id). */
  const namedTenant = async (request: FastifyRequest) => {
    const tenant = await tenantById(database.db, formOf(request)['tenantId'] ?? '');
    if (!tenant) throw new HttpFailure({ status: 404, reason: 'notFound', detail: 'No such tenant.' });
    return tenant;
  };

  /** An operator's mistake (a name taken, empty or too long) is a page saying so, not a 500. */
  const operatorError = (err: unknown): never => {
    if (err instanceof TenantError) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: `${err.message}.` });
    throw err;
  };

  app.get('/tenants', signedIn, async (request, reply) => {
    const user = userOf(request);
    onlyServiceWide(user.serviceWide);
    const tenants = await allTenants(database.db);
    const session = request.consoleSession;
    const manages = user.role === 'admin';
    const done = NOTICES[queryOf(request)['done'] ?? ''];
    return sendPage(
      reply,
      page({
        title: 'Choose a tenant',
        session,
        section: 'tenants',
        body: html`${done ? notice('ok', done) : ''}<form method="post" action="/console/tenants">${csrfField(session)}
          <table><thead><tr><th scope="col">Tenant</th><th scope="col">Status</th><th scope="col">Time zone</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
          <tbody>${tenants.map(
            (t) => html`<tr><td>${t.name}</td><td>${t.status}</td><td>${t.time_zone}</td>
              <td>${t.status === 'active' ? html`<button type="submit" name="tenantId" value="${t.id}"${t.id === user.tenantId ? html` aria-pressed="true"` : ''}>Open ${t.name}</button>` : html`<span class="muted">disabled</span>`}</td></tr>`,
          )}</tbody></table></form>
          ${manages
            ? html`<h2 id="manage">Manage tenants</h2>
              <form method="post" action="/console/tenants/create">${csrfField(session)}
                <p><label for="new-tenant">New tenant's name<input id="new-tenant" name="name" required maxlength="200" size="40"></label>
                <button type="submit">Create tenant</button></p></form>
              <table aria-labelledby="manage"><thead><tr><th scope="col">Tenant</th><th scope="col">Rename</th><th scope="col">Status</th></tr></thead>
              <tbody>${tenants.map(
                (t) => html`<tr><td>${t.name}<br><code class="muted">${t.id}</code></td>
                  <td><form class="inline" method="post" action="/console/tenants/rename">${csrfField(session)}
                    <input type="hidden" name="tenantId" value="${t.id}">
                    <label class="inline" for="rename-${t.id}">New name for ${t.name}<input id="rename-${t.id}" name="name" value="${t.name}" required maxlength="200" size="24"></label>
                    <button type="submit" class="secondary">Rename</button></form></td>
                  <td>${t.status === 'active'
                    ? html`<form class="inline" method="post" action="/console/tenants/disable" data-confirm="Disable ${t.name}? Entra stops provisioning it and its operators are signed out.">
                        ${csrfField(session)}<input type="hidden" name="tenantId" value="${t.id}">
                        <button type="submit" class="danger" aria-label="Disable ${t.name}">Disable</button></form>`
                    : html`<form class="inline" method="post" action="/console/tenants/enable">${csrfField(session)}
                        <input type="hidden" name="tenantId" value="${t.id}">
                        <button type="submit" class="secondary" aria-label="Enable ${t.name}">Enable</button></form>`}</td></tr>`,
              )}</tbody></table>`
            : ''}`,
      }),
    );
  });

  app.post('/tenants', signedIn, async (request, reply) => {
    const session = request.consoleSession;
    const user = userOf(request);
    onlyServiceWide(user.serviceWide);
    const tenant = await tenantById(database.db, formOf(request)['tenantId'] ?? '');
    if (!tenant || !session) throw new HttpFailure({ status: 404, reason: 'notFound', detail: 'No such tenant.' });
    // A disabled tenant's data stays closed to the console, as its credentials are to the APIs.
    if (tenant.status !== 'active') throw new HttpFailure({ status: 403, reason: 'forbidden', detail: `Tenant ${tenant.name} is disabled.` });
    writeSession(reply, ctx.cookie, { ...session, user: { ...user, tenantId: tenant.id, tenantName: tenant.name } }, clock.now());
    return reply.redirect('/console/logs', 303);
  });

  app.post('/tenants/create', signedIn, async (request, reply) => {
    const user = await manager(request, 'tenant.create');
    const tenant = await createTenant(tenantDeps, formOf(request)['name'] ?? '', actorFromRequest(request)).catch(operatorError);
    request.log.info({ event: 'console.tenant.create', tenantId: tenant.id, by: user.subject }, 'tenant created');
    return reply.redirect('/console/tenants?done=created', 303);
  });

  app.post('/tenants/rename', signedIn, async (request, reply) => {
    const user = await manager(request, 'tenant.rename');
    const tenant = await namedTenant(request);
    const renamed = await renameTenant(tenantDeps, tenant.id, formOf(request)['name'] ?? '', actorFromRequest(request)).catch(operatorError);
    request.log.info({ event: 'console.tenant.rename', tenantId: tenant.id, by: user.subject }, 'tenant renamed');
    // The header names the tenant being viewed: keep it in step when that is the one renamed.
    const session = request.consoleSession;
    if (session && user.tenantId === renamed.id) writeSession(reply, ctx.cookie, { ...session, user: { ...user, tenantName: renamed.name } }, clock.now());
    return reply.redirect('/console/tenants?done=renamed', 303);
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post(`/tenants/${action}`, signedIn, async (request, reply) => {
      const user = await manager(request, `tenant.${action}`);
      const tenant = await namedTenant(request);
      await setTenantEnabled(tenantDeps, tenant.id, action === 'enable', actorFromRequest(request)).catch(operatorError);
      request.log.info({ event: `console.tenant.${action}`, tenantId: tenant.id, by: user.subject }, `tenant ${action}d`);
      return reply.redirect(`/console/tenants?done=${action}d`, 303);
    });
  }
}
