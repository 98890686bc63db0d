import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordEdgeRefusals } from '../audit/edge-refusal-service.js';
import { actorFromRequest } from '../audit/request-actor.js';
import { HttpFailure } from '../http/errors.js';
import { isPortalRole, PORTAL_ROLES, type PortalRole, type RuleMatch } from '../roles/effective-role.js';
import { createRoleRuleService, ROLE_RULE_ACTIONS, type RoleActor } from '../roles/rule-service.js';
import { formOf, queryOf, sendPage, tenantOf, type ConsoleContext } from './context.js';
import { html } from './html.js';
import { csrfField, formatTime, notice, page } from './layout.js';

const NOTICES: Record<string, string> = {
  created: 'The rule is saved; the roles of the accounts in that group are recomputed and logged.',
  deleted: 'The rule is deleted; the accounts it gave a role fall back to the next rule, their app role or the default.',
  default: 'The default role is saved; accounts no rule or app role names now have it.',
};

const matchByIn = (value: string | undefined): RuleMatch => {
  if (value === 'displayName' || value === 'externalId') return value;
  throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'Match the group by displayName or externalId.' });
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Roles (issue 17): the tenant's group → portal role rules and its default role, through the same service as
 * `/admin/v1/role-rules`. Everyone signed in reads them; admins change them.
 */
export async function rolesRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const rules = createRoleRuleService(ctx.deps);
  // A viewer's attempt to change them is refused and written to the audit trail.
  recordEdgeRefusals(app, ctx.deps.database.db);
  const adminAction = (action: string) => ({ config: { access: 'admin' as const, audit: { action } } });

  const actorOf = (request: FastifyRequest): RoleActor => ({ subject: `console:${tenantOf(request).user.subject}`, requestId: request.id, audit: actorFromRequest(request) });
  const roleIn = (value: string | undefined): PortalRole => {
    if (!isPortalRole(value)) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: `The role must be one of ${PORTAL_ROLES.join(', ')}.` });
    return value;
  };

  app.get('/roles', async (request, reply) => {
    const { tenantId, role } = tenantOf(request);
    const view = await rules.list(tenantId);
    const session = request.consoleSession;
    const done = NOTICES[queryOf(request)['done'] ?? ''];
    const manages = role === 'admin';
    const roleOptions = (selected: PortalRole | undefined) => PORTAL_ROLES.map((r) => html`<option value="${r}"${r === selected ? html` selected` : ''}>${r}</option>`);
    return sendPage(
      reply,
      page({
        title: 'Roles',
        session,
        section: 'roles',
        body: html`${done ? notice('ok', done) : ''}
          <p>An account's portal role: the Entra app role assigned to it, else the most privileged rule matching one of its
          groups, else the default (<code>${view.defaultRole}</code>). Every change is in the provisioning log as <em>Change role</em>.</p>
          ${view.items.length === 0
            ? notice('info', 'No rules: every account without an app role has the default role.')
            : html`<table><thead><tr><th scope="col">Group matched by</th><th scope="col">Value</th><th scope="col">Role</th><th scope="col">Created (UTC)</th>${manages ? html`<th scope="col"><span class="muted">Action</span></th>` : ''}</tr></thead>
              <tbody>${view.items.map(
                (r) => html`<tr><td>${r.matchBy}</td><td>${r.value}</td><td>${r.role}</td><td>${formatTime(new Date(r.createdAt))}</td>
                  ${manages
                    ? html`<td><form class="inline" method="post" action="/console/roles/rules/delete" data-confirm="Delete the rule for ${r.value}?">${csrfField(session)}
                        <button type="submit" class="secondary" name="id" value="${r.id}">Delete<span class="muted"> the rule for ${r.value}</span></button></form></td>`
                    : ''}</tr>`,
              )}</tbody></table>`}
          ${manages
            ? html`<h2 id="new-rule">New rule</h2>
              <form method="post" action="/console/roles/rules" aria-labelledby="new-rule">${csrfField(session)}
                <p><label for="rule-by">Match the group by<select id="rule-by" name="matchBy"><option value="displayName">displayName</option><option value="externalId">externalId</option></select></label>
                <label for="rule-value">Value<input id="rule-value" name="value" required maxlength="256" size="30" autocomplete="off"></label>
                <label for="rule-role">Role<select id="rule-role" name="role">${roleOptions(undefined)}</select></label>
                <button type="submit">Add rule</button></p></form>
              <h2 id="default-role">Default role</h2>
              <form method="post" action="/console/roles/default" aria-labelledby="default-role">${csrfField(session)}
                <p><label for="default">Accounts no rule or app role names<select id="default" name="role">${roleOptions(view.defaultRole)}</select></label>
                <button type="submit">Save default</button></p></form>`
            : ''}`,
      }),
    );
  });

  app.post('/roles/rules', adminAction(ROLE_RULE_ACTIONS.create), async (request, reply) => {
    const form = formOf(request);
    const matchBy = matchByIn(form['matchBy']);
    const value = (form['value'] ?? '').trim();
    if (value.length === 0 || value.length > 256) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'The value is a group displayName or externalId of 1 to 256 characters.' });
    await rules.create(tenantOf(request).tenantId, { matchBy, value, role: roleIn(form['role']) }, actorOf(request));
    return reply.redirect('/console/roles?done=created', 303);
  });

  app.post('/roles/rules/delete', adminAction(ROLE_RULE_ACTIONS.delete), async (request, reply) => {
    const id = (formOf(request)['id'] ?? '').toLowerCase();
    if (!UUID.test(id)) throw new HttpFailure({ status: 404, reason: 'notFound', detail: 'No such rule.' });
    await rules.delete(tenantOf(request).tenantId, id, actorOf(request));
    return reply.redirect('/console/roles?done=deleted', 303);
  });

  app.post('/roles/default', adminAction(ROLE_RULE_ACTIONS.setDefault), async (request, reply) => {
    await rules.setDefault(tenantOf(request).tenantId, roleIn(formOf(request)['role']), actorOf(request));
    return reply.redirect('/console/roles?done=default', 303);
  });
}
