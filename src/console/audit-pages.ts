import type { AuditEntryView } from '../audit/entry-view.js';
import type { AuditPage } from '../audit/read-service.js';
import { html, type SafeHtml } from './html.js';
import { formatTime, notice, page } from './layout.js';
import type { ConsoleSession } from './session.js';

export interface AuditView {
  from: Date | undefined;
  to: Date | undefined;
  actor: string | undefined;
  action: string | undefined;
  target: string | undefined;
  outcome: 'success' | 'failure' | 'refused' | undefined;
  /** A service-wide operator's choice: the chosen tenant's chain, or the service-wide actions. */
  scope: 'tenant' | 'service';
  cursor: string | undefined;
}

/** `datetime-local` value in UTC. */
const localValue = (d: Date | undefined): string => (d ? d.toISOString().slice(0, 16) : '');

/** The filters as a query string, for the pager (values encoded by URLSearchParams). */
export function auditQuery(v: AuditView, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  if (v.from) p.set('from', localValue(v.from));
  if (v.to) p.set('to', localValue(v.to));
  for (const [k, val] of [['actor', v.actor], ['action', v.action], ['target', v.target], ['outcome', v.outcome]] as const) {
    if (val) p.set(k, val);
  }
  if (v.scope === 'service') p.set('scope', 'service');
  for (const [k, val] of Object.entries(extra)) p.set(k, val);
  return p.toString();
}

const OUTCOMES = ['success', 'failure', 'refused'] as const;

const outcomeBadge = (outcome: string): SafeHtml => html`<span class="badge ${outcome === 'success' ? 'ok' : 'bad'}">${outcome}</span>`;

const show = (value: unknown): string => (value === undefined ? '(absent)' : typeof value === 'string' ? value : JSON.stringify(value));

function changesCell(changes: Record<string, unknown> | null): SafeHtml | string {
  if (!changes) return '';
  return html`<ul class="plain">${Object.entries(changes).map(([field, change]) => {
    const c = typeof change === 'object' && change !== null ? (change as { old?: unknown; new?: unknown }) : {};
    return html`<li><code>${field}</code>: ${show(c.old)} → ${show(c.new)}</li>`;
  })}</ul>`;
}

function actorCell(e: AuditEntryView): SafeHtml {
  const who = e.actor.label ?? e.actor.id ?? '';
  return html`${e.actor.type}${who ? html` <span>${who}</span>` : ''}${e.actor.label && e.actor.id ? html`<br><span class="muted">${e.actor.id}</span>` : ''}`;
}

export function auditPage(input: { session: ConsoleSession | null; view: AuditView; page: AuditPage; serviceWide: boolean }): SafeHtml {
  const { view } = input;
  const rows = input.page.entries.map(
    (e) => html`<tr>
      <td>${formatTime(e.occurredAt)}</td>
      <td>${actorCell(e)}</td>
      <td class="muted">${e.actor.sourceIp ?? ''}</td>
      <td><code>${e.action}</code></td>
      <td>${e.target ? html`${e.target.type ?? ''} <span class="muted">${e.target.id ?? ''}</span>` : ''}</td>
      <td>${outcomeBadge(e.outcome)}</td>
      <td>${changesCell(e.changes)}${e.detail ? html`<span class="muted">${JSON.stringify(e.detail).slice(0, 200)}</span>` : ''}</td>
      <td class="num">${e.seq}</td>
    </tr>`,
  );
  return page({
    title: 'Audit',
    session: input.session,
    section: 'audit',
    body: html`
      <p>Every administrative action on this ${view.scope === 'service' ? 'service' : 'tenant'}: who did it, from where, and what changed.</p>
      <form class="filters" method="get" action="/console/audit" role="search" aria-label="Filter the audit trail">
        ${input.serviceWide
          ? html`<label for="f-scope">Chain<select id="f-scope" name="scope">
              <option value="tenant"${view.scope === 'tenant' ? html` selected` : ''}>This tenant</option>
              <option value="service"${view.scope === 'service' ? html` selected` : ''}>Service-wide actions</option>
            </select></label>`
          : ''}
        <label for="f-from">From (UTC)<input id="f-from" type="datetime-local" name="from" value="${localValue(view.from)}"></label>
        <label for="f-to">To (UTC)<input id="f-to" type="datetime-local" name="to" value="${localValue(view.to)}"></label>
        <label for="f-actor">Actor<input id="f-actor" name="actor" value="${view.actor ?? ''}" size="20" autocomplete="off"></label>
        <label for="f-action">Action<input id="f-action" name="action" value="${view.action ?? ''}" size="20" placeholder="oauth_client."></label>
        <label for="f-target">Target<input id="f-target" name="target" value="${view.target ?? ''}" size="20" placeholder="type:id or id"></label>
        <label for="f-outcome">Outcome<select id="f-outcome" name="outcome">
          <option value="">Any</option>
          ${OUTCOMES.map((o) => html`<option value="${o}"${o === view.outcome ? html` selected` : ''}>${o}</option>`)}
        </select></label>
        <button type="submit">Apply filters</button>
        <a href="/console/audit">Reset</a>
      </form>
      <h2 id="entries">Entries, newest first</h2>
      ${rows.length === 0
        ? notice('info', 'No audit entries match these filters.')
        : html`<table aria-labelledby="entries"><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Actor</th><th scope="col">Source</th>
            <th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Change</th><th scope="col" class="num">Seq</th></tr></thead>
            <tbody>${rows}</tbody></table>`}
      <nav class="pager" aria-label="Pages">
        ${view.cursor ? html`<a href="/console/audit?${auditQuery(view)}">« Newest</a>` : ''}
        ${input.page.nextCursor ? html`<a href="/console/audit?${auditQuery(view, { cursor: input.page.nextCursor })}" rel="next">Older entries »</a>` : ''}
      </nav>`,
  });
}
