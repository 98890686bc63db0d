import { SCRIPT_PATH, STYLESHEET_PATH } from './assets.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';
import type { ConsoleSession } from './session.js';

export type Section = 'logs' | 'users' | 'roles' | 'clients' | 'assets' | 'ncentral' | 'runs' | 'credentials' | 'audit' | 'tenants' | 'none';

export interface PageInput {
  title: string;
  session: ConsoleSession | null;
  section?: Section;
  body: SafeHtml;
  /** Seconds after which the browser reloads the page (a running sync's progress), without script. */
  refreshSeconds?: number;
}

const NAV: { section: Section; href: string; label: string; adminOnly?: boolean }[] = [
  { section: 'logs', href: '/console/logs', label: 'Provisioning logs' },
  { section: 'users', href: '/console/users', label: 'Users' },
  { section: 'roles', href: '/console/roles', label: 'Roles' },
  { section: 'clients', href: '/console/inventory/clients', label: 'Clients' },
  { section: 'assets', href: '/console/inventory/assets', label: 'Assets' },
  { section: 'ncentral', href: '/console/ncentral', label: 'N-central' },
  { section: 'runs', href: '/console/ncentral/runs', label: 'Sync runs' },
  { section: 'credentials', href: '/console/credentials', label: 'Credentials', adminOnly: true },
  { section: 'audit', href: '/console/audit', label: 'Audit', adminOnly: true },
];

/** The hidden field every state-changing form carries. */
export const csrfField = (session: ConsoleSession | null): SafeHtml =>
  html`<input type="hidden" name="_csrf" value="${session?.csrf ?? ''}">`;

export function page(input: PageInput): SafeHtml {
  const user = input.session?.user;
  const nav =
    user && user.tenantId
      ? html`<nav class="main" aria-label="Sections"><ul>${NAV.filter((n) => !n.adminOnly || user.role === 'admin').map(
          (n) => html`<li><a href="${n.href}"${n.section === input.section ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
        )}</ul></nav>`
      : '';
  const who = user
    ? html`<div class="who">
        <span>${user.tenantName ?? 'No tenant chosen'}</span> ·
        <span>${user.subject}</span> (<span>${user.role}</span>)
        ${user.serviceWide ? html` · <a href="/console/tenants">Switch tenant</a>` : ''}
        <form method="post" action="/console/sign-out">${csrfField(input.session)}<button type="submit" class="secondary">Sign out</button></form>
      </div>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${input.refreshSeconds ? html`<meta http-equiv="refresh" content="${input.refreshSeconds}">` : ''}
<title>${input.title} · Portal provisioning</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<script src="${SCRIPT_PATH}" defer></script>
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="top"><a class="brand" href="/console">Portal provisioning</a>${who}</header>
${nav}
<main id="content" tabindex="-1">
<h1>${input.title}</h1>
${input.body}
</main>
</body>
</html>`;
}

/** A notice above a page's content; `kind` picks the colour, the words are ours or escaped. */
export const notice = (kind: 'ok' | 'bad' | 'info', message: HtmlValue): SafeHtml =>
  html`<div class="notice ${kind === 'info' ? '' : kind}" role="${kind === 'bad' ? 'alert' : 'status'}">${message}</div>`;

/** Formats a time for a table cell, in UTC so operators in different places read the same value. */
export function formatTime(value: Date | string | null | undefined): string {
  if (!value) return '';
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}
