import type { FastifyInstance } from 'fastify';
import { HttpFailure } from '../http/errors.js';
import { formOf, sendPage, userOf, writeSession, type ConsoleContext } from './context.js';
import { html } from './html.js';
import { csrfField, page } from './layout.js';
import { allTenants, tenantById } from './tenant-service.js';

/** A service-wide operator (admin token without a tenant, or allow-list `*`) picks the tenant the pages show. */
export async function tenantRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const { database, clock } = ctx.deps;

  const onlyServiceWide = (serviceWide: boolean) => {
    if (!serviceWide) throw new HttpFailure({ status: 403, reason: 'forbidden', detail: 'Your sign-in belongs to one tenant.' });
  };

  app.get('/tenants', { config: { access: 'signed-in' } }, async (request, reply) => {
    const user = userOf(request);
    onlyServiceWide(user.serviceWide);
    const tenants = await allTenants(database.db);
    return sendPage(
      reply,
      page({
        title: 'Choose a tenant',
        session: request.consoleSession,
        section: 'tenants',
        body: html`<form method="post" action="/console/tenants">${csrfField(request.consoleSession)}
          <table><thead><tr><th scope="col">Tenant</th><th scope="col">Status</th><th scope="col">Time zone</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
          <tbody>${tenants.map(
            (t) => html`<tr><td>${t.name}</td><td>${t.status}</td><td>${t.time_zone}</td>
              <td>${t.status === 'active' ? html`<button type="submit" name="tenantId" value="${t.id}"${t.id === user.tenantId ? html` aria-pressed="true"` : ''}>Open ${t.name}</button>` : html`<span class="muted">disabled</span>`}</td></tr>`,
          )}</tbody></table></form>`,
      }),
    );
  });

  app.post('/tenants', { config: { access: 'signed-in' } }, async (request, reply) => {
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
}
