import t from 'tap';
import { assetPage } from '../../src/console/asset-pages.js';
import type { AssetDetailView } from '../../src/portal/views.js';
import { assetQuery, assetsListPage, clientsListPage, type AssetFilters } from '../../src/console/inventory-pages.js';
import type { ConsoleSession } from '../../src/console/session.js';

// Pure renderers: no database, no HTTP; the route tests cover the same pages with real data.
const session: ConsoleSession = {
  csrf: 'csrf-token',
  expiresAt: Date.now() + 3600_000,
  user: { subject: 'ops', role: 'viewer', tenantId: 't1', tenantName: 'Contoso', via: 'admin-token', serviceWide: false },
};
const HOSTILE = `<script>alert("x")</script>&'`;
const NO_FILTERS: AssetFilters = { client: undefined, search: undefined, deviceClass: undefined, os: undefined, removed: false, changedSince: undefined, cursor: undefined };

t.test('hostile client names are escaped and gone clients are marked, not hidden', async (t) => {
  const body = clientsListPage({
    session,
    search: HOSTILE,
    cursor: undefined,
    nextCursor: null,
    clients: [
      {
        id: 'c1', name: HOSTILE, source: 'ncentral', ncentral: [{ id: '101', kind: 'customer', name: HOSTILE, gone: true }], assets: { active: 2, removed: 1 },
        createdAt: '2026-01-14T10:00:00.000Z', updatedAt: '2026-01-15T10:00:00.000Z',
      },
      {
        id: 'c2', name: 'Still here', source: 'ncentral', ncentral: [{ id: '102', kind: 'customer', name: 'a', gone: true }, { id: '103', kind: 'site', name: 'b', gone: false }],
        assets: { active: 0, removed: 0 }, createdAt: '2026-01-14T10:00:00.000Z', updatedAt: '2026-01-15T10:00:00.000Z',
      },
    ],
  }).text;
  t.notMatch(body, '<script>alert');
  t.match(body, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  t.equal(body.split('data-gone="true"').length - 1, 1, 'marked once: a client with one unit still in N-central is not gone');
  t.match(body, /<tr data-client="c1">.*data-gone="true"/);
  t.match(body, 'href="/console/inventory/assets?client=c1"');
});

t.test('paging and export links carry every filter, encoded', async (t) => {
  const filters: AssetFilters = { ...NO_FILTERS, client: 'c1', search: 'a&b', os: 'Windows 11', removed: true, changedSince: '2026-01-01T00:00', cursor: 'abc' };
  t.equal(assetQuery(filters, { format: 'csv' }), 'client=c1&search=a%26b&os=Windows+11&changedSince=2026-01-01T00%3A00&removed=true&format=csv');
  const body = assetsListPage({ session, filters, client: { id: 'c1', name: 'Acme' }, assets: [], nextCursor: 'next<1>' }).text;
  t.match(body, 'href="/console/inventory/assets?client=c1&amp;search=a%26b&amp;os=Windows+11&amp;changedSince=2026-01-01T00%3A00&amp;removed=true&amp;cursor=next%3C1%3E" rel="next"');
  t.match(body, 'href="/console/inventory/assets/export?client=c1&amp;search=a%26b&amp;os=Windows+11&amp;changedSince=2026-01-01T00%3A00&amp;removed=true&amp;format=csv"');
  t.match(body, '« First page', 'a later page links back to the first');
  t.match(body, '<title>Assets of Acme · Portal provisioning</title>');
});

t.test('the asset page shows every field, its N-central link and its history old → new', async (t) => {
  const asset: AssetDetailView = {
    id: 'a1', client: { id: 'c1', name: 'Acme' }, name: HOSTILE, serialNumber: 'SN-1', macAddresses: ['00:11:22:33:44:55'], manufacturer: 'Dell', model: 'Latitude',
    os: 'Windows 11', deviceClass: 'Laptop - Windows', source: 'ncentral', ncentral: { deviceId: '2001', customerId: '101', siteId: null },
    lastCheckIn: '2026-01-15T09:00:00.000Z', createdAt: '2026-01-14T10:00:00.000Z', updatedAt: '2026-01-15T10:00:00.000Z', removedAt: '2026-01-15T10:00:00.000Z',
    changes: [
      { id: 'h1', runId: 'r1', assetId: 'a1', assetName: null, kind: 'updated', occurredAt: '2026-01-15T10:00:00.000Z', changes: { os: { old: 'Windows 10', new: '<b>11</b>' } }, deviceId: null, because: null },
    ],
    changesNextCursor: null,
  };
  const body = assetPage({
    session,
    asset,
    ncentralLink: 'https://nc.example.com/deepLinkAction.do?method=deviceDetails&customerID=101&deviceID=2001',
  }).text;
  t.notMatch(body, '<script>alert');
  t.match(body, 'href="https://nc.example.com/deepLinkAction.do?method=deviceDetails&amp;customerID=101&amp;deviceID=2001"');
  t.match(body, '<code>os</code>: <span data-old>Windows 10</span>');
  t.match(body, '<span data-new>&lt;b&gt;11&lt;/b&gt;</span>');
  t.match(body, 'data-gone="true"', 'an asset gone from N-central is marked');
  for (const field of ['SN-1', '00:11:22:33:44:55', 'Dell', 'Latitude', 'Windows 11', 'Laptop - Windows', '2001', '2026-01-15 09:00:00Z']) t.match(body, field);
});
