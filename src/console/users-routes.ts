import type { FastifyInstance } from 'fastify';
import { listTenantAccounts } from './account-service.js';
import { queryOf, sendPage, tenantOf, type ConsoleContext } from './context.js';
import { html } from './html.js';
import { formatTime, notice, page } from './layout.js';

const PAGE_SIZE = 50;

/** Users: the tenant's portal accounts as Entra provisioned them, each linking to its log history. */
export async function usersRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  app.get('/users', async (request, reply) => {
    const { tenantId } = tenantOf(request);
    const q = queryOf(request);
    const userName = q['userName']?.trim().slice(0, 256) || undefined;
    const status = q['status'] === 'active' || q['status'] === 'disabled' ? q['status'] : undefined;
    const after = q['after']?.slice(0, 512) || undefined;
    const result = await listTenantAccounts(ctx.deps.database.db, tenantId, { userName, status, after, limit: PAGE_SIZE });
    const link = (extra: Record<string, string>) => {
      const p = new URLSearchParams();
      if (userName) p.set('userName', userName);
      if (status) p.set('status', status);
      for (const [k, v] of Object.entries(extra)) p.set(k, v);
      return `/console/users?${p.toString()}`;
    };
    const logFrom = new Date(ctx.deps.clock.now().getTime() - 31 * 24 * 3600_000).toISOString().slice(0, 16);
    return sendPage(
      reply,
      page({
        title: 'Users',
        session: request.consoleSession,
        section: 'users',
        body: html`
          <form class="filters" method="get" action="/console/users" role="search" aria-label="Find users">
            <label for="u-name">userName starts with<input id="u-name" name="userName" value="${userName ?? ''}" size="30" autocomplete="off"></label>
            <label for="u-status">Status<select id="u-status" name="status">
              <option value="">Any</option>
              <option value="active"${status === 'active' ? html` selected` : ''}>Active</option>
              <option value="disabled"${status === 'disabled' ? html` selected` : ''}>Disabled</option>
            </select></label>
            <button type="submit">Search</button>
            <a href="/console/users">Reset</a>
          </form>
          ${result.accounts.length === 0
            ? notice('info', 'No portal accounts match.')
            : html`<table><thead><tr><th scope="col">userName</th><th scope="col">Display name</th><th scope="col">E-mail</th>
                <th scope="col">externalId</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Last change (UTC)</th><th scope="col">Log</th></tr></thead>
                <tbody>${result.accounts.map(
                  (a) => html`<tr><td>${a.user_name}</td><td>${a.display_name ?? ''}</td><td>${a.email ?? ''}</td><td>${a.external_id ?? ''}</td><td>${a.role}</td>
                    <td>${a.active ? html`<span class="badge ok">Active</span>` : html`<span class="badge bad">Disabled</span>`}</td>
                    <td>${formatTime(a.updated_at)}</td>
                    <td><a href="/console/logs?${new URLSearchParams({ userName: a.user_name, from: logFrom }).toString()}">History<span class="muted"> of ${a.user_name}</span></a></td></tr>`,
                )}</tbody></table>`}
          <nav class="pager" aria-label="Pages">
            ${after ? html`<a href="${link({})}">« First page</a>` : ''}
            ${result.next ? html`<a href="${link({ after: result.next })}" rel="next">Next page »</a>` : ''}
          </nav>`,
      }),
    );
  });
}
