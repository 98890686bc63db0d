import type { AssetChangeView, AssetDetailView } from '../portal/views.js';
import { html, type SafeHtml } from './html.js';
import { goneBadge } from './inventory-pages.js';
import { formatTime, page } from './layout.js';
import type { ConsoleSession } from './session.js';

const KIND_LABELS: Record<string, string> = { created: 'Created', updated: 'Updated', linked: 'Linked to existing asset', removed: 'Gone from N-central' };
const kindBadge = (kind: string): SafeHtml =>
  html`<span class="badge ${kind === 'removed' ? 'warn' : kind === 'created' ? 'ok' : ''}" data-kind="${kind}">${KIND_LABELS[kind] ?? kind}</span>`;

const show = (value: unknown): string => (value === null || value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * An update lists each changed field old → new; a creation's fields (all from nothing) are the asset itself, so
 * they are not repeated; a removal says how N-central confirmed it.
 */
function changedFields(c: AssetChangeView): SafeHtml {
  if (c.kind === 'removed') return html`<span class="muted">${c.because ? `N-central answered ${c.because}` : ''}</span>`;
  if (c.kind !== 'updated') return html``;
  return html`<ul class="changes">${Object.entries(c.changes).map(
    ([field, f]) => html`<li><code>${field}</code>: <span data-old>${show(f.old)}</span> <span aria-label="changed to">→</span> <span data-new>${show(f.new)}</span></li>`,
  )}</ul>`;
}

export function changesTable(changes: AssetChangeView[], options: { showAsset: boolean; labelledBy: string }): SafeHtml {
  return html`<table aria-labelledby="${options.labelledBy}"><thead><tr><th scope="col">Time (UTC)</th>${options.showAsset ? html`<th scope="col">Asset</th>` : ''}
    <th scope="col">Change</th><th scope="col">Fields (old → new)</th>${options.showAsset ? '' : html`<th scope="col">Sync run</th>`}</tr></thead>
    <tbody>${changes.map(
      (c) => html`<tr data-change="${c.kind}"><td>${formatTime(c.occurredAt)}</td>
        ${options.showAsset ? html`<td><a href="/console/inventory/assets/${c.assetId}">${c.assetName ?? c.assetId}</a></td>` : ''}
        <td>${kindBadge(c.kind)}</td><td>${changedFields(c)}</td>
        ${options.showAsset ? '' : html`<td><a href="/console/ncentral/runs/${c.runId}">Sync run</a></td>`}</tr>`,
    )}</tbody></table>`;
}

/** `olderPage`: the history shown is a later page (from a cursor), not the newest changes. */
export function assetPage(input: { session: ConsoleSession | null; asset: AssetDetailView; ncentralLink: string | null; olderPage?: boolean }): SafeHtml {
  const a = input.asset;
  return page({
    title: a.name,
    session: input.session,
    section: 'assets',
    body: html`<p><a href="/console/inventory/assets?${new URLSearchParams({ client: a.client.id }).toString()}">« Assets of ${a.client.name}</a></p>
      ${a.removedAt ? html`<p>${goneBadge('asset')} since ${formatTime(a.removedAt)}</p>` : ''}
      <dl class="detail">
        <dt>Name</dt><dd data-field="name">${a.name}</dd>
        <dt>Client</dt><dd><a href="/console/inventory/assets?${new URLSearchParams({ client: a.client.id }).toString()}">${a.client.name}</a></dd>
        <dt>Serial number</dt><dd data-field="serialNumber">${a.serialNumber ?? ''}</dd>
        <dt>MAC addresses</dt><dd data-field="macAddresses">${a.macAddresses.join(', ')}</dd>
        <dt>Manufacturer</dt><dd data-field="manufacturer">${a.manufacturer ?? ''}</dd>
        <dt>Model</dt><dd data-field="model">${a.model ?? ''}</dd>
        <dt>OS</dt><dd data-field="os">${a.os ?? ''}</dd>
        <dt>Device class</dt><dd data-field="deviceClass">${a.deviceClass ?? ''}</dd>
        <dt>Source</dt><dd>${a.source}</dd>
        <dt>N-central device</dt><dd data-field="ncentralDeviceId">${a.ncentral?.deviceId ?? ''}${input.ncentralLink
          ? html` · <a href="${input.ncentralLink}" rel="noopener noreferrer" target="_blank">Open in N-central</a>`
          : ''}</dd>
        <dt>N-central customer / site</dt><dd>${a.ncentral?.customerId ?? ''}${a.ncentral?.siteId ? html` / ${a.ncentral.siteId}` : ''}</dd>
        <dt>Last check-in (N-central)</dt><dd>${formatTime(a.lastCheckIn)}</dd>
        <dt>Created (UTC)</dt><dd>${formatTime(a.createdAt)}</dd>
        <dt>Last change (UTC)</dt><dd>${formatTime(a.updatedAt)}</dd>
        <dt>Asset id</dt><dd>${a.id}</dd>
      </dl>
      <h2 id="history">History</h2>
      ${a.changes.length === 0 ? html`<p class="muted">No sync has changed this asset within the retention period.</p>` : changesTable(a.changes, { showAsset: false, labelledBy: 'history' })}
      <nav class="pager" aria-label="Pages of history">
        ${input.olderPage ? html`<a href="/console/inventory/assets/${a.id}#history">« Newest changes</a>` : ''}
        ${a.changesNextCursor ? html`<a href="/console/inventory/assets/${a.id}?${new URLSearchParams({ cursor: a.changesNextCursor }).toString()}#history" rel="next">Older changes »</a>` : ''}
      </nav>`,
  });
}

/** What one sync run changed, paged by the changes' own cursor, for the run's page. */
export function runChangesSection(input: { runId: string; changes: AssetChangeView[]; cursor: string | undefined; nextCursor: string | null }): SafeHtml {
  const base = `/console/ncentral/runs/${input.runId}`;
  return html`<h2 id="run-changes">What this run changed</h2>
    ${input.changes.length === 0
      ? html`<p class="muted">${input.cursor ? 'No more changes.' : 'This run changed no asset.'}</p>`
      : changesTable(input.changes, { showAsset: true, labelledBy: 'run-changes' })}
    <nav class="pager" aria-label="Pages of changes">
      ${input.cursor ? html`<a href="${base}#run-changes">« First changes</a>` : ''}
      ${input.nextCursor ? html`<a href="${base}?${new URLSearchParams({ cursor: input.nextCursor }).toString()}#run-changes" rel="next">More changes »</a>` : ''}
    </nav>`;
}
