import t from 'tap';
import { backoffDelay, parseRetryAfter } from '../../src/ncentral/backoff.js';
import { normaliseNcentralUrl } from '../../src/ncentral/base-url.js';
import { KeyedSemaphore } from '../../src/ncentral/keyed-semaphore.js';
import { hasNextPage, readPageEnvelope } from '../../src/ncentral/paging.js';
import { normaliseMacs, normaliseSerial, readId, readTimestamp, toAssets, toCustomer, toDevice, toServerInfo } from '../../src/ncentral/wire.js';

t.test('ids are accepted as numbers or numeric strings and come out as canonical decimal strings', async (t) => {
  t.equal(readId(4021), '4021');
  t.equal(readId('4021'), '4021');
  t.equal(readId(' 0050 '), '50');
  t.equal(readId('1234567890123'), '1234567890123');
  t.equal(readId('12a'), null);
  t.equal(readId(1.5), null);
  t.equal(readId(-3), null);
  t.equal(readId(null), null);
  t.equal(readId({}), null);
});

t.test('a timestamp without a zone is read as UTC', async (t) => {
  t.equal(readTimestamp('2026-03-23T21:33:26.278')?.toISOString(), '2026-03-23T21:33:26.278Z');
  t.equal(readTimestamp('2026-03-23 21:33:26')?.toISOString(), '2026-03-23T21:33:26.000Z');
});

t.test('a timestamp with Z or an offset keeps its instant', async (t) => {
  t.equal(readTimestamp('2026-03-23T21:33:26.278Z')?.toISOString(), '2026-03-23T21:33:26.278Z');
  t.equal(readTimestamp('2026-03-23T23:33:26.278+02:00')?.toISOString(), '2026-03-23T21:33:26.278Z');
  t.equal(readTimestamp('2026-03-23T16:33:26-0500')?.toISOString(), '2026-03-23T21:33:26.000Z');
});

t.test('microsecond timestamps are truncated to milliseconds and garbage becomes null', async (t) => {
  t.equal(readTimestamp('2026-03-23T21:33:26.278123456')?.toISOString(), '2026-03-23T21:33:26.278Z');
  t.equal(readTimestamp('yesterday'), null);
  t.equal(readTimestamp(''), null);
  t.equal(readTimestamp(null), null);
  t.equal(readTimestamp('2026-13-45T99:99:99'), null);
});

t.test('placeholder serial numbers become null and real ones are kept', async (t) => {
  for (const placeholder of ['To Be Filled By O.E.M.', 'System Serial Number', '0', '', '  ', '00000000', 'Default string', 'N/A', 'None']) {
    t.equal(normaliseSerial(placeholder), null, placeholder);
  }
  t.equal(normaliseSerial(' 5CG1234XYZ '), '5CG1234XYZ');
  t.equal(normaliseSerial('VMware-56 4d 2a'), 'VMware-56 4d 2a');
});

t.test('MAC addresses are normalised to upper-case colon form and placeholders dropped', async (t) => {
  t.same(normaliseMacs('00-1a-2B-3c-4D-5e'), ['00:1A:2B:3C:4D:5E']);
  t.same(normaliseMacs('001a2b3c4d5e, 00:00:00:00:00:00'), ['00:1A:2B:3C:4D:5E']);
  t.same(normaliseMacs('not a mac'), []);
  t.same(normaliseMacs(null), []);
});

t.test('an assets answer yields serial, model, maker, MACs and OS', async (t) => {
  const assets = toAssets({
    computersystem: { serialnumber: 'To Be Filled By O.E.M.', model: 'OptiPlex 7090', manufacturer: 'Dell Inc.', netbiosname: 'WS1' },
    os: { reportedos: 'Microsoft Windows 11 Pro' },
    networkadapter: { list: [{ macaddress: '00-50-56-aa-bb-cc', ipaddress: '10.0.0.5' }, { macaddress: '00:50:56:AA:BB:CC' }] },
  });
  t.same(assets, {
    serialNumber: null,
    model: 'OptiPlex 7090',
    manufacturer: 'Dell Inc.',
    macAddresses: ['00:50:56:AA:BB:CC'],
    ipAddresses: ['10.0.0.5'],
    osName: 'Microsoft Windows 11 Pro',
    netbiosName: 'WS1',
    deleted: false,
  });
  t.same(toAssets({})?.macAddresses, []);
});

t.test('a device with string ids, no site and a zone-less check-in is normalised', async (t) => {
  const device = toDevice({ deviceId: '1234567890', longName: 'WS-1', customerId: '4021', siteId: null, orgUnitId: '4021', isProbe: 'false', lastApplianceCheckinTime: '2026-03-23T21:33:26.278' });
  t.equal(device?.deviceId, '1234567890');
  t.equal(device?.customerId, '4021');
  t.equal(device?.siteId, null);
  t.equal(device?.orgUnitId, '4021');
  t.equal(device?.isProbe, false);
  t.equal(device?.discoveredName, null);
  t.equal(device?.lastApplianceCheckinTime?.toISOString(), '2026-03-23T21:33:26.278Z');
});

t.test('a device without a usable id is refused', async (t) => {
  t.equal(toDevice({ longName: 'x', customerId: 1 }), null);
  t.equal(toDevice({ deviceId: 'abc', customerId: 1 }), null);
  t.equal(toDevice('nope'), null);
});

t.test("a customer's parentId is its service organization", async (t) => {
  t.same(toCustomer({ customerId: 101, customerName: 'Acme', parentId: '50', externalId: '' }), { customerId: '101', customerName: 'Acme', soId: '50', externalId: null });
});

t.test('server-info reads the API-Service and N-central versions, null when absent', async (t) => {
  t.same(toServerInfo({ version: '3.1.0', ncentral: '2024.6.0.19' }), { apiVersion: '3.1.0', ncentralVersion: '2024.6.0.19' });
  t.same(toServerInfo({ version: '3.1.0', ncentral: null }), { apiVersion: '3.1.0', ncentralVersion: null });
});

t.test('N-central addresses are normalised to https://host[:port]', async (t) => {
  t.same(normaliseNcentralUrl('ncentral.example.com'), { ok: true, url: 'https://ncentral.example.com' });
  t.same(normaliseNcentralUrl(' https://NCentral.Example.com/dashboard/x?y=1 '), { ok: true, url: 'https://ncentral.example.com' });
  t.same(normaliseNcentralUrl('nc.example.com:8443'), { ok: true, url: 'https://nc.example.com:8443' });
  t.same(normaliseNcentralUrl('https://nc.example.com:443/'), { ok: true, url: 'https://nc.example.com' });
});

t.test('plain http, other schemes, credentials in the URL and junk are refused', async (t) => {
  t.equal(normaliseNcentralUrl('http://nc.example.com').ok, false);
  t.equal(normaliseNcentralUrl('ftp://nc.example.com').ok, false);
  t.equal(normaliseNcentralUrl('https://user:pw@nc.example.com').ok, false);
  t.equal(normaliseNcentralUrl('').ok, false);
  t.equal(normaliseNcentralUrl('not a host name').ok, false);
  t.same(normaliseNcentralUrl('http://127.0.0.1:8080', { allowPlainHttp: true }), { ok: true, url: 'http://127.0.0.1:8080' });
});

t.test('backoff grows exponentially, is capped, and is jittered within the upper half', async (t) => {
  const policy = { baseMs: 1000, capMs: 8000 };
  t.equal(backoffDelay(1, () => 0, policy), 500);
  t.equal(backoffDelay(1, () => 1, policy), 1000);
  t.equal(backoffDelay(3, () => 0.5, policy), 3000);
  t.equal(backoffDelay(10, () => 1, policy), 8000);
});

t.test('Retry-After is read as seconds or an HTTP date, and capped', async (t) => {
  const now = new Date('2026-01-15T10:00:00Z');
  t.equal(parseRetryAfter('3', now), 3000);
  t.equal(parseRetryAfter('Thu, 15 Jan 2026 10:00:05 GMT', now), 5000);
  t.equal(parseRetryAfter('Thu, 15 Jan 2026 09:00:00 GMT', now), 0);
  t.equal(parseRetryAfter('99999', now), 120_000);
  t.equal(parseRetryAfter(undefined, now), null);
  t.equal(parseRetryAfter('soon', now), null);
});

t.test('paging: totalPages decides first, then links, then totalItems against rows read, then a short page against a known size', async (t) => {
  const page = (body: object) => {
    const envelope = readPageEnvelope(body, { pageNumber: 1, pageSize: 10 });
    if (envelope === null) throw new Error('not a page');
    return envelope;
  };
  const first = (envelope: ReturnType<typeof page>) => ({ rowsRead: envelope.rows.length, pageSize: envelope.pageSizeReported ? envelope.pageSize : null });
  const check = (body: object) => {
    const envelope = page(body);
    return hasNextPage(envelope, first(envelope));
  };
  t.equal(check({ data: [1, 2], pageNumber: 1, totalPages: 2 }), true);
  t.equal(check({ data: [1, 2], pageNumber: 2, totalPages: 2 }), false);
  t.equal(check({ data: [1, 2], _links: { nextPage: '/api/x?pageNumber=2' } }), true);
  t.equal(check({ data: [1, 2], _links: { nextPage: null } }), false);
  t.equal(check({ data: [1, 2], pageSize: 2, totalItems: 3 }), true);
  t.equal(check({ data: [1, 2], pageSize: 2, totalItems: 2 }), false);
  t.equal(check({ data: [1, 2], pageSize: 5 }), false);
  t.equal(check({ data: [1, 2], pageSize: 2 }), true);
  // `{data, totalItems}` with a page cut short by the server: rows read, not the size asked for, decide.
  t.equal(check({ data: [1, 2], totalItems: 5 }), true);
  t.equal(hasNextPage(page({ data: [3, 4], totalItems: 5 }), { rowsRead: 4, pageSize: 2 }), true);
  t.equal(hasNextPage(page({ data: [5], totalItems: 5 }), { rowsRead: 5, pageSize: 2 }), false);
  // Nothing stated: a short page may be a silently clamped one, so only an empty page ends the listing.
  t.equal(check({ data: [1, 2] }), true);
  t.equal(check({ data: [] }), false);
  t.equal(readPageEnvelope({ items: [] }, { pageNumber: 1, pageSize: 10 }), null);
});

t.test('the keyed semaphore never lets more than the limit through per key and serves waiters in order', async (t) => {
  const semaphore = new KeyedSemaphore((key) => (key === 'a' ? 2 : 1));
  const order: number[] = [];
  const r1 = await semaphore.acquire('a');
  const r2 = await semaphore.acquire('a');
  const rb = await semaphore.acquire('b');
  const third = semaphore.acquire('a').then((release) => {
    order.push(3);
    return release;
  });
  const fourth = semaphore.acquire('a').then((release) => {
    order.push(4);
    return release;
  });
  await Promise.resolve();
  t.equal(semaphore.active('a'), 2);
  t.same(order, []);
  r1();
  r1();
  const r3 = await third;
  t.same(order, [3]);
  t.equal(semaphore.active('a'), 2);
  r2();
  const r4 = await fourth;
  t.same(order, [3, 4]);
  r3();
  r4();
  rb();
  t.equal(semaphore.active('a'), 0);
  t.equal(semaphore.active('b'), 0);
});

t.test('a 429 lowers an endpoint\'s limit by one, never below 1, and successes earn it back up to the ceiling', async (t) => {
  const semaphore = new KeyedSemaphore(() => 3, { successesPerStep: 2 });
  t.equal(semaphore.limit('k'), 3);
  semaphore.throttled('k');
  semaphore.throttled('k');
  semaphore.throttled('k');
  t.equal(semaphore.limit('k'), 1);
  const first = await semaphore.acquire('k');
  let secondIn = false;
  const second = semaphore.acquire('k').then((release) => {
    secondIn = true;
    return release;
  });
  await Promise.resolve();
  t.equal(secondIn, false);
  semaphore.succeeded('k');
  semaphore.succeeded('k');
  t.equal(semaphore.limit('k'), 2);
  (await second)();
  t.equal(secondIn, true);
  first();
  for (let i = 0; i < 10; i += 1) semaphore.succeeded('k');
  t.equal(semaphore.limit('k'), 3);
  t.equal(semaphore.active('k'), 0);
});
