import type { Page, Summary } from '../provisioning-log/service.js';
import type { StoredEntry } from '../provisioning-log/stored-entry.js';
import { hourlyChart } from './chart.js';
import { html, type SafeHtml } from './html.js';
import { formatTime, notice, page } from './layout.js';
import type { ConsoleSession } from './session.js';

export interface LogsView {
  from: Date;
  to: Date;
  /** Whether `to` came from the person (else "now", left out of links so the window follows the clock). */
  toGiven: boolean;
  outcome: 'success' | 'failure' | undefined;
  operation: string | undefined;
  userName: string | undefined;
  externalId: string | undefined;
  requestId: string | undefined;
  cursor: string | undefined;
}

/** `datetime-local` value in UTC. */
const localValue = (d: Date): string => d.toISOString().slice(0, 16);

/** The filters as a query string, for paging and export links (values encoded by URLSearchParams). */
export function filterQuery(v: LogsView, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  p.set('from', localValue(v.from));
  if (v.toGiven) p.set('to', localValue(v.to));
  for (const [k, val] of [['outcome', v.outcome], ['operation', v.operation], ['userName', v.userName], ['externalId', v.externalId], ['requestId', v.requestId]] as const) {
    if (val) p.set(k, val);
  }
  for (const [k, val] of Object.entries(extra)) p.set(k, val);
  return p.toString();
}

export const outcomeBadge = (outcome: string): SafeHtml =>
  html`<span class="badge ${outcome === 'success' ? 'ok' : 'bad'}">${outcome === 'success' ? 'Success' : 'Failure'}</span>`;

const select = (name: string, label: string, current: string | undefined, options: readonly string[]) =>
  html`<label for="f-${name}">${label}<select id="f-${name}" name="${name}">
    <option value="">Any</option>
    ${options.map((o) => html`<option value="${o}"${o === current ? html` selected` : ''}>${o}</option>`)}
  </select></label>`;

export function logsPage(input: { session: ConsoleSession | null; view: LogsView; page: Page; summary: Summary; operations: readonly string[] }): SafeHtml {
  const { view, summary } = input;
  const bars = summary.hours.map((h) => ({ hour: h.hour, success: h.totals.success, failure: h.totals.failure }));
  const rows = input.page.entries.map(
    (e) => html`<tr>
      <td>${formatTime(e.occurredAt)}</td>
      <td>${e.operation}</td>
      <td><a href="/console/logs/${e.id}">${e.target.userName ?? e.target.id ?? '(no user)'}</a></td>
      <td>${outcomeBadge(e.outcome)}</td>
      <td class="num">${e.httpStatus}</td>
      <td>${e.scimType ? html`<code>${e.scimType}</code> ` : ''}${(e.detail ?? '').slice(0, 120)}</td>
      <td class="muted">${e.requestId ?? ''}</td>
    </tr>`,
  );
  return page({
    title: 'Provisioning logs',
    session: input.session,
    section: 'logs',
    body: html`
      <form class="filters" method="get" action="/console/logs" role="search" aria-label="Filter the log">
        <label for="f-from">From (UTC)<input id="f-from" type="datetime-local" name="from" value="${localValue(view.from)}"></label>
        <label for="f-to">To (UTC)<input id="f-to" type="datetime-local" name="to" value="${view.toGiven ? localValue(view.to) : ''}"></label>
        ${select('outcome', 'Outcome', view.outcome, ['success', 'failure'])}
        ${select('operation', 'Operation', view.operation, input.operations)}
        <label for="f-userName">userName<input id="f-userName" name="userName" value="${view.userName ?? ''}" size="24" autocomplete="off"></label>
        <label for="f-externalId">externalId<input id="f-externalId" name="externalId" value="${view.externalId ?? ''}" size="16"></label>
        <label for="f-requestId">Request id<input id="f-requestId" name="requestId" value="${view.requestId ?? ''}" size="16"></label>
        <button type="submit">Apply filters</button>
        <a href="/console/logs">Reset</a>
      </form>
      <h2>Per hour, ${formatTime(summary.from)} to ${formatTime(summary.to)}</h2>
      <p><span class="ok">${summary.totals.success} succeeded</span> · <span class="bad">${summary.totals.failure} failed</span></p>
      ${hourlyChart(bars)}
      <details><summary>The chart's numbers as a table</summary>
        <table><thead><tr><th scope="col">Hour (UTC)</th><th scope="col" class="num">Succeeded</th><th scope="col" class="num">Failed</th></tr></thead>
        <tbody>${bars.filter((b) => b.success + b.failure > 0).map((b) => html`<tr><td>${formatTime(b.hour)}</td><td class="num">${b.success}</td><td class="num">${b.failure}</td></tr>`)}</tbody></table>
      </details>
      <div class="actions">
        <a class="button secondary" href="/console/logs/export?${filterQuery(view, { format: 'csv' })}" download>Export CSV</a>
        <a class="button secondary" href="/console/logs/export?${filterQuery(view, { format: 'ndjson' })}" download>Export NDJSON</a>
        <span class="muted">Exports every entry matching the filters, oldest first.</span>
      </div>
      <h2 id="entries">Entries, newest first</h2>
      ${rows.length === 0
        ? notice('info', 'No entries match these filters in this window.')
        : html`<table aria-labelledby="entries"><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Operation</th><th scope="col">User</th>
            <th scope="col">Outcome</th><th scope="col" class="num">HTTP</th><th scope="col">Detail</th><th scope="col">Request id</th></tr></thead>
            <tbody>${rows}</tbody></table>`}
      <nav class="pager" aria-label="Pages">
        ${view.cursor ? html`<a href="/console/logs?${filterQuery(view)}">« Newest</a>` : ''}
        ${input.page.nextCursor ? html`<a href="/console/logs?${filterQuery(view, { cursor: input.page.nextCursor })}" rel="next">Older entries »</a>` : ''}
      </nav>`,
  });
}

const show = (value: unknown): string => (value === undefined ? '(absent)' : typeof value === 'string' ? value : JSON.stringify(value));

export function entryPage(session: ConsoleSession | null, e: StoredEntry): SafeHtml {
  return page({
    title: `${e.operation} ${e.target.userName ?? ''} — ${e.outcome === 'success' ? 'succeeded' : 'failed'}`,
    session,
    section: 'logs',
    body: html`
      <p><a href="/console/logs">« All entries</a>${e.target.userName ? html` · <a href="/console/logs?${new URLSearchParams({ userName: e.target.userName, from: new Date(Date.parse(e.occurredAt) - 30 * 24 * 3600_000).toISOString().slice(0, 16) }).toString()}">History of ${e.target.userName}</a>` : ''}</p>
      ${e.outcome === 'failure'
        ? notice('bad', html`<strong>Failed with HTTP ${e.httpStatus}${e.scimType ? html` (${e.scimType})` : ''}.</strong> ${e.detail ?? ''}`)
        : ''}
      <dl class="detail">
        <dt>Time (UTC)</dt><dd>${formatTime(e.occurredAt)}</dd>
        <dt>Operation</dt><dd>${e.operation}</dd>
        <dt>Outcome</dt><dd>${outcomeBadge(e.outcome)} HTTP ${e.httpStatus}</dd>
        <dt>userName</dt><dd>${e.target.userName ?? ''}</dd>
        <dt>externalId</dt><dd>${e.target.externalId ?? ''}</dd>
        <dt>User id</dt><dd>${e.target.id ?? ''}</dd>
        <dt>Client id</dt><dd>${e.clientId ?? ''}</dd>
        <dt>Request id</dt><dd>${e.requestId ? html`<a href="/console/logs?${new URLSearchParams({ requestId: e.requestId, from: new Date(Date.parse(e.occurredAt) - 24 * 3600_000).toISOString().slice(0, 16) }).toString()}">${e.requestId}</a>` : ''}</dd>
        <dt>Duration</dt><dd>${e.durationMs} ms</dd>
        <dt>Entry id</dt><dd>${e.id}</dd>
      </dl>
      <h2 id="changes">Changed attributes</h2>
      ${e.changes && e.changes.length > 0
        ? html`<table aria-labelledby="changes"><thead><tr><th scope="col">Attribute</th><th scope="col">Old</th><th scope="col"></th><th scope="col">New</th></tr></thead>
            <tbody>${e.changes.map((c) => html`<tr><td><code>${c.attribute}</code></td><td>${show(c.old)}</td><td aria-hidden="true">→</td><td>${show(c.new)}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No attribute changed.</p>`}`,
  });
}
