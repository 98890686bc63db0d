import t from 'tap';
import { decodeAuditCursor, encodeAuditCursor, InvalidCursorError } from '../../src/audit/cursor.js';
import { auditScope, AuditAccessError } from '../../src/audit/read-service.js';

const position = { occurredAtUs: '1735689600123456', tenantId: '0b5c1c4e-8a61-4c3e-9a57-3f0c2a9d1e77', seq: '42' };
const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

t.test('a cursor decodes back to the place it was made from', async (t) => {
  t.same(decodeAuditCursor(encodeAuditCursor(position)), position);
});

t.test('anything not exactly a cursor we issue is refused', async (t) => {
  const bad = [
    '',
    'not base64!',
    'a'.repeat(201),
    forge([1]),
    forge({ v: 2, t: position.occurredAtUs, n: position.tenantId, i: '1' }),
    forge({ v: 1, t: position.occurredAtUs, n: position.tenantId, i: 1 }),
    forge({ v: 1, t: '-5', n: position.tenantId, i: '1' }),
    forge({ v: 1, t: position.occurredAtUs, n: "x' or 1=1", i: '1' }),
    forge({ v: 1, t: position.occurredAtUs, n: position.tenantId, i: '9223372036854775808' }),
    forge({ v: 1, t: position.occurredAtUs, n: position.tenantId, i: '1', extra: true }),
  ];
  for (const cursor of bad) t.throws(() => decodeAuditCursor(cursor), InvalidCursorError, JSON.stringify(cursor).slice(0, 40));
});

t.test("the reader's scope: admins their tenant, service-wide admins any chain or all, viewers none", async (t) => {
  const mine = position.tenantId;
  const other = '11111111-2222-4333-8444-555555555555';
  t.same(auditScope({ tenantId: mine, role: 'admin' }, undefined), { tenantId: mine });
  t.same(auditScope({ tenantId: mine, role: 'admin' }, mine), { tenantId: mine });
  t.throws(() => auditScope({ tenantId: mine, role: 'admin' }, other), AuditAccessError);
  t.throws(() => auditScope({ tenantId: mine, role: 'viewer' }, undefined), AuditAccessError);
  t.throws(() => auditScope({ tenantId: null, role: 'viewer' }, undefined), AuditAccessError);
  t.equal(auditScope({ tenantId: null, role: 'admin' }, undefined), 'every');
  t.same(auditScope({ tenantId: null, role: 'admin' }, other), { tenantId: other });
  t.equal(auditScope('cli', undefined), 'every');
});
