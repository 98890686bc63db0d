import t from 'tap';
import { assetPage, type AssetDetail } from '../../src/console/asset-pages.js';
import { assetQuery, assetsListPage, clientsListPage, type AssetFilters } from '../../src/console/inventory-pages.js';
import type { ConsoleSession } from '../../src/console/session.js';

// Pure renderers: no database, no HTTP; the route tests cover the same pages with real data.
const session: ConsoleSession = {
  csrf: 'csrf-token',
  expiresAt: Date.now() + 3600_000,
  user: { subject: 'ops', role: 'viewer', tenantId: 't1', tenantName: 'Contoso', via: 'admin-token', serviceWide: false },
};
const HOSTILE = `<script>alert("x")</script>&'`;
const NO_FILTERS: AssetFilters = { client: undefined, search: undefined, deviceClass: undefined, os: undefined, removed: 'false', changedSince: undefined, cursor: undefined };

t.test('hostile client names are escaped and gone clients are marked, not hidden', async (t) => {
  const body = clientsListPage({
    session,
    search: HOSTILE,
    cursor: undefined,
    nextCursor: null,
    clients: [{ id: 'c1', name: HOSTILE, source: 'ncentral', goneFromNcentral: true, ncentralLabel: 'customer 101', activeAssets: 2, removedAssets: 1, updatedAt: '2026-01-15T10:00:00.000Z' }],
  }).text;
  t.notMatch(body, '<script>alert');
  t.match(body, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  t.match(body, 'data-gone="true"');
  t.match(body, 'href="/console/inventory/assets?client=c1"');
});

t.test('paging and export links carry every filter, encoded', async (t) => {
  const filters: AssetFilters = { ...NO_FILTERS, client: 'c1', search: 'a&b', os: 'Windows 11', removed: 'any', changedSince: '2026-01-01T00:00', cursor: 'abc' };
  t.equal(assetQuery(filters, { format: 'csv' }), 'client=c1&search=a%26b&os=Windows+11&changedSince=2026-01-01T00%3A00&removed=any&format=csv');
  const body = assetsListPage({ session, filters, client: { id: 'c1', name: 'Acme' }, assets: [], nextCursor: 'next<1>' }).text;
  t.match(body, 'href="/console/inventory/assets?client=c1&amp;search=a%26b&amp;os=Windows+11&amp;changedSince=2026-01-01T00%3A00&amp;removed=any&amp;cursor=next%3C1%3E" rel="next"');
  t.match(body, 'href="/console/inventory/assets/export?client=c1&amp;search=a%26b&amp;os=Windows+11&amp;changedSince=2026-01-01T00%3A00&amp;removed=any&amp;format=csv"');
  t.match(body, '« First page', 'a later page links back to the first');
  t.match(body, '<title>Assets of Acme · Portal provisioning</title>');
});

t.test('the asset page shows every field, its N-central link and its history old → new', async (t) => {
  const asset: AssetDetail = {
    id: 'a1', clientId: 'c1', clientName: 'Acme', name: HOSTILE, serialNumber: 'SN-1', macAddresses: ['00:11:22:33:44:55'], manufacturer: 'Dell', model: 'Latitude',
    osName: 'Windows 11', deviceClass: 'Laptop - Windows', source: 'ncentral', ncentralDeviceId: '2001', ncentralCustomerId: '101', ncentralSiteId: null,
    lastCheckinAt: '2026-01-15T09:00:00.000Z', createdAt: '2026-01-14T10:00:00.000Z', updatedAt: '2026-01-15T10:00:00.000Z', removedAt: '2026-01-15T10:00:00.000Z',
  };
  const body = assetPage({
    session,
    asset,
    ncentralLink: 'https://nc.example.com/deepLinkAction.do?method=deviceDetails&customerID=101&deviceID=2001',
    history: [{ id: 'h1', runId: 'r1', assetId: 'a1', assetName: null, kind: 'updated', at: '2026-01-15T10:00:00.000Z', fields: [{ field: 'osName', old: 'Windows 10', new: '<b>11</b>' }] }],
  }).text;
  t.notMatch(body, '<script>alert');
  t.match(body, 'href="https://nc.example.com/deepLinkAction.do?method=deviceDetails&amp;customerID=101&amp;deviceID=2001"');
  t.match(body, '<code>osName</code>: <span data-old>Windows 10</span>');
  t.match(body, '<span data-new>&lt;b&gt;11&lt;/b&gt;</span>');
  t.match(body, 'data-gone="true"', 'an asset gone from N-central is marked');
  for (const field of ['SN-1', '00:11:22:33:44:55', 'Dell', 'Latitude', 'Windows 11', 'Laptop - Windows', '2001', '2026-01-15 09:00:00Z']) t.match(body, field);
});
