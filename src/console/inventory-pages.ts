import type { AssetView, ClientView } from '../portal/views.js';
import { html, type SafeHtml } from './html.js';
import { formatTime, notice, page } from './layout.js';
import type { ConsoleSession } from './session.js';

/** The Assets page's filters as the person gave them (strings, for the form and its links). */
export interface AssetFilters {
  client: string | undefined;
  search: string | undefined;
  deviceClass: string | undefined;
  os: string | undefined;
  /** Gone from N-central instead of present ones (the admin API's `removed`). */
  removed: boolean;
  /** `datetime-local` text as given (UTC), kept for the form and links. */
  changedSince: string | undefined;
  cursor: string | undefined;
}

/** A client is gone from N-central when every customer/site it was linked to is; one still there keeps it current. */
const goneFromNcentral = (c: ClientView): boolean => c.ncentral.length > 0 && c.ncentral.every((u) => u.gone);

const ncentralLinks = (c: ClientView): SafeHtml[] =>
  c.ncentral.map((u, i) => html`${i > 0 ? ', ' : ''}${u.kind} ${u.name}${u.gone ? html` <span class="muted">(gone)</span>` : ''}`);

export const goneBadge = (what: string): SafeHtml => html`<span class="badge warn" data-gone="true">gone from N-central</span><span class="muted"> (${what} kept)</span>`;

/** The filters as a query string for paging and export links; the default `removed=false` is left out. */
export function assetQuery(f: AssetFilters, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of [['client', f.client], ['search', f.search], ['deviceClass', f.deviceClass], ['os', f.os], ['changedSince', f.changedSince]] as const) {
    if (v) p.set(k, v);
  }
  if (f.removed) p.set('removed', 'true');
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p.toString();
}

const pager = (base: string, cursor: string | undefined, next: string | null, query: (extra?: Record<string, string>) => string): SafeHtml =>
  html`<nav class="pager" aria-label="Pages">
    ${cursor ? html`<a href="${base}?${query()}">« First page</a>` : ''}
    ${next ? html`<a href="${base}?${query({ cursor: next })}" rel="next">Next page »</a>` : ''}
  </nav>`;

export function clientsListPage(input: { session: ConsoleSession | null; search: string | undefined; cursor: string | undefined; clients: ClientView[]; nextCursor: string | null }): SafeHtml {
  const query = (extra: Record<string, string> = {}) => new URLSearchParams({ ...(input.search ? { search: input.search } : {}), ...extra }).toString();
  return page({
    title: 'Clients',
    session: input.session,
    section: 'clients',
    body: html`
      <form class="filters" method="get" action="/console/inventory/clients" role="search" aria-label="Find clients">
        <label for="c-search">Name contains<input id="c-search" name="search" value="${input.search ?? ''}" size="30" autocomplete="off"></label>
        <button type="submit">Search</button>
        <a href="/console/inventory/clients">Reset</a>
      </form>
      ${input.clients.length === 0
        ? notice('info', 'No portal clients match.')
        : html`<table aria-label="Clients"><thead><tr><th scope="col">Client</th><th scope="col">Source</th><th scope="col">N-central</th>
            <th scope="col" class="num">Active assets</th><th scope="col" class="num">Removed assets</th><th scope="col">Last change (UTC)</th></tr></thead>
            <tbody>${input.clients.map(
              (c) => html`<tr data-client="${c.id}"><td><a href="/console/inventory/assets?${new URLSearchParams({ client: c.id }).toString()}">${c.name}</a>${goneFromNcentral(c) ? html` ${goneBadge('client')}` : ''}</td>
                <td>${c.source}</td><td>${ncentralLinks(c)}</td>
                <td class="num">${c.assets.active}</td><td class="num">${c.assets.removed}</td><td>${formatTime(c.updatedAt)}</td></tr>`,
            )}</tbody></table>`}
      ${pager('/console/inventory/clients', input.cursor, input.nextCursor, query)}`,
  });
}

const REMOVED_CHOICES: { value: boolean; label: string }[] = [
  { value: false, label: 'In N-central' },
  { value: true, label: 'Gone from N-central' },
];

export function assetsListPage(input: {
  session: ConsoleSession | null;
  filters: AssetFilters;
  /** The client the list is narrowed to, for the heading and the filter's label. */
  client: { id: string; name: string } | null;
  assets: AssetView[];
  nextCursor: string | null;
}): SafeHtml {
  const f = input.filters;
  const query = (extra: Record<string, string> = {}) => assetQuery(f, extra);
  return page({
    title: input.client ? `Assets of ${input.client.name}` : 'Assets',
    session: input.session,
    section: 'assets',
    body: html`
      <form class="filters" method="get" action="/console/inventory/assets" role="search" aria-label="Filter assets">
        ${input.client
          ? html`<input type="hidden" name="client" value="${input.client.id}"><p class="muted">Client: ${input.client.name} · <a href="/console/inventory/assets?${assetQuery({ ...f, client: undefined, cursor: undefined })}">all clients</a></p>`
          : ''}
        <label for="a-search">Name, serial number or MAC<input id="a-search" name="search" value="${f.search ?? ''}" size="28" autocomplete="off"></label>
        <label for="a-class">Device class<input id="a-class" name="deviceClass" value="${f.deviceClass ?? ''}" size="16"></label>
        <label for="a-os">OS<input id="a-os" name="os" value="${f.os ?? ''}" size="16"></label>
        <label for="a-removed">Status<select id="a-removed" name="removed">${REMOVED_CHOICES.map(
          (c) => html`<option value="${String(c.value)}"${c.value === f.removed ? html` selected` : ''}>${c.label}</option>`,
        )}</select></label>
        <label for="a-since">Changed since (UTC)<input id="a-since" type="datetime-local" name="changedSince" value="${f.changedSince ?? ''}"></label>
        <button type="submit">Apply filters</button>
        <a href="/console/inventory/assets${input.client ? html`?client=${encodeURIComponent(input.client.id)}` : ''}">Reset</a>
      </form>
      <div class="actions">
        <a class="button secondary" href="/console/inventory/assets/export?${assetQuery({ ...f, cursor: undefined }, { format: 'csv' })}" download>Export CSV</a>
        <a class="button secondary" href="/console/inventory/assets/export?${assetQuery({ ...f, cursor: undefined }, { format: 'ndjson' })}" download>Export NDJSON</a>
        <span class="muted">Exports every asset matching the filters.</span>
      </div>
      ${input.assets.length === 0
        ? notice('info', 'No assets match these filters.')
        : html`<table aria-label="Assets"><thead><tr><th scope="col">Asset</th>${input.client ? '' : html`<th scope="col">Client</th>`}<th scope="col">Serial number</th>
            <th scope="col">MAC addresses</th><th scope="col">OS</th><th scope="col">Device class</th><th scope="col">Last change (UTC)</th></tr></thead>
            <tbody>${input.assets.map(
              (a) => html`<tr data-asset="${a.id}"><td><a href="/console/inventory/assets/${a.id}">${a.name}</a>${a.removedAt ? html` ${goneBadge('asset')}` : ''}</td>
                ${input.client ? '' : html`<td><a href="/console/inventory/assets?${new URLSearchParams({ client: a.client.id }).toString()}">${a.client.name}</a></td>`}
                <td>${a.serialNumber ?? ''}</td><td>${a.macAddresses.join(', ')}</td><td>${a.os ?? ''}</td><td>${a.deviceClass ?? ''}</td><td>${formatTime(a.updatedAt)}</td></tr>`,
            )}</tbody></table>`}
      ${pager('/console/inventory/assets', f.cursor, input.nextCursor, query)}`,
  });
}
