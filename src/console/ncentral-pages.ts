import type { VerifyReport } from '../ncentral/connector.js';
import type { ConnectionView, PreviewView, RunView, UnitView } from '../ncentral/service.js';
import type { MappingState, PortalClient } from '../store/tables.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, formatTime, notice, page } from './layout.js';
import type { ConsoleSession } from './session.js';

export type WizardStep = 'connection' | 'clients' | 'preview';

const STEPS: { step: WizardStep; label: string; href: string }[] = [
  { step: 'connection', label: '1. Connection', href: '/console/ncentral' },
  { step: 'clients', label: '2. Client sync', href: '/console/ncentral/clients' },
  { step: 'preview', label: '3. Sync preview and finish', href: '/console/ncentral/preview' },
];

const steps = (current: WizardStep) =>
  html`<nav aria-label="Setup steps"><ol class="steps">${STEPS.map(
    (s) => html`<li${s.step === current ? html` aria-current="step"` : ''}><a href="${s.href}"${s.step === current ? html` class="current"` : ''}>${s.label}</a></li>`,
  )}</ol></nav>`;

const checkbox = (name: string, label: string, checked: boolean, hint: string, disabled: boolean) =>
  html`<p><label class="inline" for="nc-${name}"><input type="checkbox" id="nc-${name}" name="${name}" value="on"${checked ? html` checked` : ''}${disabled ? html` disabled` : ''}> ${label}</label>
    <span class="muted">${hint}</span></p>`;

export function connectionPage(input: {
  session: ConsoleSession | null;
  connection: ConnectionView | null;
  isAdmin: boolean;
  message?: SafeHtml | undefined;
  verify?: VerifyReport | undefined;
}): SafeHtml {
  const c = input.connection;
  const ro = !input.isAdmin;
  return page({
    title: 'N-central',
    session: input.session,
    section: 'ncentral',
    body: html`${steps('connection')}${input.message ?? ''}
      ${input.verify ? verifyResult(input.verify) : ''}
      ${c
        ? html`<dl class="detail">
            <dt>Server</dt><dd>${c.url}</dd>
            <dt>N-central version</dt><dd>${c.ncentralVersion ?? 'not verified yet'}</dd>
            <dt>Last verified (UTC)</dt><dd>${c.verifiedAt ? formatTime(c.verifiedAt) : 'never'}</dd>
            <dt>Setup finished (UTC)</dt><dd>${c.finishedAt ? formatTime(c.finishedAt) : 'not yet'}</dd>
            <dt>Nightly sync</dt><dd>${c.syncTime} (tenant's time zone)</dd>
          </dl>
          ${input.isAdmin
            ? html`<form method="post" action="/console/ncentral/verify">${csrfField(input.session)}
                <button type="submit">Verify</button> <span class="muted">Signs in to N-central, reads its version, customers and devices.</span></form>`
            : ''}`
        : notice('info', 'This tenant has no N-central connection yet.')}
      <h2>${c ? 'Change the connection' : 'Connect to N-central'}</h2>
      <form method="post" action="/console/ncentral/connection" class="card">
        ${csrfField(input.session)}
        <p><label for="nc-url">N-central server (https)<input id="nc-url" name="url" type="url" required size="50" value="${c?.url ?? ''}" placeholder="https://n-central.example.com"${ro ? html` disabled` : ''}></label></p>
        <p><label for="nc-token">User-API token (JWT)<input id="nc-token" name="token" type="password" autocomplete="off" size="50"${c ? '' : html` required`}${ro ? html` disabled` : ''}></label>
          <span class="muted">${c ? 'Leave empty to keep the stored token. ' : ''}Stored encrypted; never shown again.</span></p>
        <p><label for="nc-ca">Private CA certificates (PEM, optional)<textarea id="nc-ca" name="caPem" rows="3"${ro ? html` disabled` : ''}></textarea></label>
          <span class="muted">${c?.caConfigured ? 'A CA bundle is stored; paste a new one to replace it.' : 'Only for a server whose certificate a private CA issued.'}</span></p>
        ${checkbox('deviceSync', 'Device sync', c?.deviceSync ?? true, 'Devices become portal assets.', ro)}
        ${checkbox('assetsUnderParent', 'Asset creation under the parent', c?.assetsUnderParent ?? true, "On: a customer's sites' devices become assets of the customer's client. Off: each site becomes its own client.", ro)}
        ${checkbox('ignoreSyncRequirements', 'Ignore sync requirements', c?.ignoreSyncRequirements ?? false, 'On: always create assets, even when one with the same serial number or name already exists (duplicates possible).', ro)}
        <p><label for="nc-time">Nightly sync time (HH:MM)<input id="nc-time" name="syncTime" value="${c?.syncTime ?? '20:00'}" pattern="[0-2][0-9]:[0-5][0-9]" size="6"${ro ? html` disabled` : ''}></label></p>
        ${input.isAdmin ? html`<button type="submit">Save connection</button>` : html`<p class="muted">Viewers cannot change the connection.</p>`}
      </form>`,
  });
}

function verifyResult(r: VerifyReport): SafeHtml {
  if (r.ok) {
    return notice('ok', html`<strong>Verified.</strong> Connected to N-central ${r.ncentralVersion ?? ''}: ${r.customers ?? 0} customers and
      ${r.devices ?? 0} devices visible. Next: <a href="/console/ncentral/clients">Client sync</a>.${(r.warnings ?? []).map((w) => html`<br>${w.message}`)}`);
  }
  return notice('bad', html`<strong>Verify failed.</strong><ul>${r.problems.map((p) => html`<li>${p.message}</li>`)}</ul>`);
}

const TABS: { state: MappingState; label: string }[] = [
  { state: 'unmatched', label: 'Unmatched' },
  { state: 'matched', label: 'Matched' },
  { state: 'to_create', label: 'To create' },
  { state: 'excluded', label: 'Excluded' },
];

export function clientsPage(input: {
  session: ConsoleSession | null;
  tab: MappingState;
  units: UnitView[];
  parents: Map<string, string>;
  clients: PortalClient[];
  isAdmin: boolean;
  message?: SafeHtml | undefined;
}): SafeHtml {
  const s = input.session;
  const count = (state: MappingState) => input.units.filter((u) => u.state === state).length;
  const rows = input.units.filter((u) => u.state === input.tab);
  const action = (path: string, unit: UnitView, label: string, cls = 'secondary') =>
    html`<form class="inline" method="post" action="/console/ncentral/units/${path}">${csrfField(s)}
      <input type="hidden" name="orgUnitId" value="${unit.id}"><input type="hidden" name="tab" value="${input.tab}">
      <button type="submit" class="${cls}" aria-label="${label} ${unit.name}">${label}</button></form>`;
  return page({
    title: 'N-central client sync',
    session: s,
    section: 'ncentral',
    body: html`${steps('clients')}${input.message ?? ''}
      ${input.isAdmin
        ? html`<div class="actions">
            <form class="inline" method="post" action="/console/ncentral/auto-match">${csrfField(s)}<button type="submit">Auto-match all</button></form>
            <form class="inline" method="post" action="/console/ncentral/create-unmatched">${csrfField(s)}<button type="submit" class="secondary">Create unmatched</button></form>
            <form class="inline" method="post" action="/console/ncentral/refresh">${csrfField(s)}<button type="submit" class="secondary">Reload from N-central</button></form>
            <a href="/console/ncentral/preview">Next: Sync preview »</a>
          </div>`
        : ''}
      <nav class="tabs" aria-label="Client states">${TABS.map(
        (tab) => html`<a href="/console/ncentral/clients?tab=${tab.state}"${tab.state === input.tab ? html` aria-current="page"` : ''}>${tab.label} (<span data-count="${tab.state}">${count(tab.state)}</span>)</a>`,
      )}</nav>
      ${rows.length === 0
        ? html`<p class="muted">Nothing here.</p>`
        : html`<table><thead><tr><th scope="col">N-central ${input.units.some((u) => u.kind === 'site') ? 'customer / site' : 'customer'}</th>
            <th scope="col">Portal client</th><th scope="col">Note</th>${input.isAdmin ? html`<th scope="col">Actions</th>` : ''}</tr></thead>
            <tbody>${rows.map(
              (u) => html`<tr data-unit="${u.name}">
                <td>${u.name}${u.kind === 'site' ? html` <span class="muted">(site of ${input.parents.get(u.parentId) ?? u.parentId})</span>` : ''}${u.gone ? html` <span class="badge warn">gone from N-central</span>` : ''}</td>
                <td>${u.portalClientName ?? (u.state === 'to_create' ? html`<span class="muted">new client “${u.name.trim()}”</span>` : '')}</td>
                <td>${u.note ?? ''}</td>
                ${input.isAdmin
                  ? html`<td>
                      ${u.state !== 'matched'
                        ? html`<form class="inline" method="post" action="/console/ncentral/units/match">${csrfField(s)}
                            <input type="hidden" name="orgUnitId" value="${u.id}"><input type="hidden" name="tab" value="${input.tab}">
                            <label class="inline" for="match-${u.id}"><span class="muted">Portal client</span>
                            <select id="match-${u.id}" name="portalClientId" required><option value="">Choose…</option>
                              ${input.clients.map((c) => html`<option value="${c.id}">${c.name}</option>`)}</select></label>
                            <button type="submit" class="secondary" aria-label="Match ${u.name}">Match</button></form>`
                        : ''}
                      ${u.state === 'unmatched' || u.state === 'excluded' ? action('create', u, 'Create') : ''}
                      ${u.state === 'excluded' ? action('unexclude', u, 'Un-exclude') : action('exclude', u, 'Exclude')}
                    </td>`
                  : ''}</tr>`,
            )}</tbody></table>`}`,
  });
}

export function previewPage(input: { session: ConsoleSession | null; preview: PreviewView; connection: ConnectionView; isAdmin: boolean }): SafeHtml {
  const p = input.preview;
  return page({
    title: 'N-central sync preview',
    session: input.session,
    section: 'ncentral',
    body: html`${steps('preview')}
      <p>Finishing commits this plan and starts the first sync. You can come back and change the matching later; changes apply on the next sync.</p>
      <div class="counts" aria-label="What finishing will do">
        <div><strong data-preview="create">${p.create}</strong> portal clients to create</div>
        <div><strong data-preview="match">${p.match}</strong> matched to existing clients</div>
        <div><strong data-preview="exclude">${p.exclude}</strong> excluded</div>
        <div><strong data-preview="unmatched">${p.unmatched}</strong> still unmatched (skipped)</div>
        <div><strong data-preview="devices">${p.devices}</strong> devices become assets</div>
      </div>
      ${input.isAdmin
        ? html`<form method="post" action="/console/ncentral/finish" class="actions">${csrfField(input.session)}
            <button type="submit">${input.connection.finishedAt ? 'Apply and sync now' : 'Finish'}</button></form>`
        : ''}`,
  });
}

export const statusBadge = (status: RunView['status']): SafeHtml =>
  html`<span class="badge ${status === 'succeeded' ? 'ok' : status === 'failed' ? 'bad' : 'warn'}" data-status="${status}">${status}</span>`;

export function runsPage(input: { session: ConsoleSession | null; runs: RunView[]; isAdmin: boolean; connected: boolean; message?: SafeHtml | undefined }): SafeHtml {
  const running = input.runs.some((r) => r.status === 'running');
  return page({
    title: 'Sync runs',
    session: input.session,
    section: 'runs',
    ...(running ? { refreshSeconds: 3 } : {}),
    body: html`${input.message ?? ''}
      ${input.isAdmin && input.connected
        ? html`<form method="post" action="/console/ncentral/sync" class="actions">${csrfField(input.session)}<button type="submit">Sync now</button></form>`
        : ''}
      ${!input.connected ? notice('info', html`No N-central connection yet: <a href="/console/ncentral">set one up</a>.`) : ''}
      ${input.runs.length === 0
        ? html`<p class="muted">No runs yet.</p>`
        : html`<table><thead><tr><th scope="col">Started (UTC)</th><th scope="col">Trigger</th><th scope="col">Status</th><th scope="col">Ended (UTC)</th>
            <th scope="col" class="num">Created</th><th scope="col" class="num">Updated</th><th scope="col" class="num">Unchanged</th><th scope="col" class="num">Removed</th><th scope="col">Error</th></tr></thead>
            <tbody>${input.runs.map(
              (r) => html`<tr><td><a href="/console/ncentral/runs/${r.id}">${formatTime(r.startedAt)}</a></td><td>${r.trigger}</td><td>${statusBadge(r.status)}</td>
                <td>${formatTime(r.endedAt)}</td><td class="num">${r.created}</td><td class="num">${r.updated}</td><td class="num">${r.unchanged}</td>
                <td class="num">${r.removed}</td><td>${r.error ?? ''}</td></tr>`,
            )}</tbody></table>`}`,
  });
}

/** `changes`: what the run changed (rendered by asset-pages.ts), below its counts. */
export function runPage(session: ConsoleSession | null, r: RunView, changes?: SafeHtml): SafeHtml {
  const running = r.status === 'running';
  return page({
    title: `Sync run ${formatTime(r.startedAt)}`,
    session,
    section: 'runs',
    // A running sync reloads itself every two seconds: live progress without script.
    ...(running ? { refreshSeconds: 2 } : {}),
    body: html`<p><a href="/console/ncentral/runs">« All runs</a></p>
      <p>Status: ${statusBadge(r.status)} ${running ? html`<span class="muted">phase ${r.phase}; this page refreshes itself.</span>` : ''}</p>
      ${running
        ? html`<p><label for="progress">Devices ${r.devicesSeen}${r.devicesTotal ? html` of ${r.devicesTotal}` : ''}
            <progress id="progress" max="${r.devicesTotal ?? ''}" value="${r.devicesSeen}">${r.devicesSeen}</progress></label></p>`
        : ''}
      ${r.error ? notice('bad', r.error) : ''}
      <dl class="detail">
        <dt>Trigger</dt><dd>${r.trigger}</dd>
        <dt>Started (UTC)</dt><dd>${formatTime(r.startedAt)}</dd>
        <dt>Ended (UTC)</dt><dd>${formatTime(r.endedAt)}</dd>
        <dt>Clients created</dt><dd>${r.clientsCreated}</dd>
        <dt>Assets created</dt><dd data-count="created">${r.created}</dd>
        <dt>Linked to existing</dt><dd>${r.linked}</dd>
        <dt>Updated</dt><dd>${r.updated}</dd>
        <dt>Unchanged</dt><dd>${r.unchanged}</dd>
        <dt>Removed</dt><dd>${r.removed}</dd>
        <dt>Skipped</dt><dd>${r.skipped}</dd>
        <dt>Pages read</dt><dd>${r.pages}</dd>
        <dt>Retries</dt><dd>${r.retries}</dd>
      </dl>
      ${changes ?? ''}`,
  });
}
