import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { SERVICE_WIDE } from '../../src/audit/audit-entry.js';
import { checkLink } from '../../src/audit/chain.js';
import { appendAuditEntry, findChainHead, hashedFieldsOf, listChainEntries } from '../../src/store/audit-entries.js';
import { sharedTestDatabase, testDatabaseUrl } from '../helpers/database.js';

const actor = { type: 'admin_token' as const, id: 'tok-1', sourceIp: '203.0.113.9', userAgent: 'curl/8' };

t.test('entries of one tenant chain 1, 2, 3 with each prev_hash the hash before it', async (t) => {
  const { database } = await sharedTestDatabase();
  const tenantId = randomUUID();
  const first = await appendAuditEntry(database.db, { tenantId, actor, action: 'tenant.create', target: { type: 'tenant', id: tenantId }, outcome: 'success', changes: { name: { old: null, new: 'A' } } });
  const second = await appendAuditEntry(database.db, { tenantId, actor, action: 'tenant.rename', target: { type: 'tenant', id: tenantId }, outcome: 'success', changes: { name: { old: 'A', new: 'B' } } });
  t.match(first, { tenantId, seq: 1, prevHash: null, action: 'tenant.create', actor, target: { type: 'tenant', id: tenantId } });
  t.match(second, { seq: 2, prevHash: first.hash, changes: { name: { old: 'A', new: 'B' } } });
  t.same(await findChainHead(database.db, tenantId), { seq: 2, hash: second.hash });
  const stored = await listChainEntries(database.db, tenantId, 0, 10);
  t.equal(stored.length, 2);
  let previous: { seq: number; hash: string } | undefined;
  for (const entry of stored) {
    t.equal(checkLink(previous, { fields: hashedFieldsOf(entry), prevHash: entry.prevHash, hash: entry.hash }), undefined, `seq ${entry.seq} verifies as read back`);
    previous = { seq: entry.seq, hash: entry.hash };
  }
});

t.test('each tenant and the service-wide chain count on their own', async (t) => {
  const { database } = await sharedTestDatabase();
  const a = randomUUID();
  const b = randomUUID();
  await appendAuditEntry(database.db, { tenantId: a, actor, action: 'x.one', outcome: 'success' });
  const inB = await appendAuditEntry(database.db, { tenantId: b, actor, action: 'x.one', outcome: 'success' });
  const service = await appendAuditEntry(database.db, { tenantId: SERVICE_WIDE, actor, action: 'signing_key.rotate', outcome: 'success' });
  t.equal(inB.seq, 1);
  t.ok(service.seq >= 1);
  t.equal((await findChainHead(database.db, a))?.seq, 1);
});

t.test('an entry written in a transaction that rolls back leaves nothing', async (t) => {
  const { database } = await sharedTestDatabase();
  const tenantId = randomUUID();
  await t.rejects(
    database.db.transaction().execute(async (trx) => {
      await appendAuditEntry(trx, { tenantId, actor, action: 'tenant.rename', outcome: 'success' });
      throw new Error('the change failed');
    }),
  );
  t.equal(await findChainHead(database.db, tenantId), undefined);
  const failure = await appendAuditEntry(database.db, { tenantId, actor, action: 'tenant.rename', outcome: 'failure', detail: { reason: 'the change failed' } });
  t.match(failure, { seq: 1, prevHash: null, outcome: 'failure', detail: { reason: 'the change failed' } });
});

t.test('concurrent writers to one chain each take the next seq, never the same one', { skip: !testDatabaseUrl() && 'PGlite has one connection: writers queue anyway' }, async (t) => {
  const { database } = await sharedTestDatabase();
  const tenantId = randomUUID();
  const written = await Promise.all(Array.from({ length: 12 }, (_, i) => appendAuditEntry(database.db, { tenantId, actor, action: 'x.concurrent', outcome: 'success', detail: { i } })));
  t.same(written.map((e) => e.seq).sort((x, y) => x - y), Array.from({ length: 12 }, (_, i) => i + 1));
  const stored = await listChainEntries(database.db, tenantId, 0, 100);
  for (let i = 1; i < stored.length; i++) t.equal(stored[i]?.prevHash, stored[i - 1]?.hash);
});

t.test('values are stored as jsonb hands them back: dates as text, undefined dropped, NUL removed', async (t) => {
  const { database } = await sharedTestDatabase();
  const tenantId = randomUUID();
  const entry = await appendAuditEntry(database.db, {
    tenantId,
    actor: { type: 'cli', id: 'ops' },
    action: 'x.json',
    outcome: 'success',
    detail: { at: new Date('2026-12-05T00:00:00Z'), gone: undefined, text: 'a\u0000b' },
  });
  t.same(entry.detail, { at: '2026-12-05T00:00:00.000Z', text: 'ab' });
  const [stored] = await listChainEntries(database.db, tenantId, 0, 1);
  t.ok(stored && checkLink(undefined, { fields: hashedFieldsOf(stored), prevHash: stored.prevHash, hash: stored.hash }) === undefined);
  const { rows } = await sql<{ n: string }>`select count(*) as n from audit_entries where tenant_id = ${tenantId}`.execute(database.db);
  t.equal(Number(rows[0]?.n), 1);
});

t.test('secret-shaped text in any field is redacted before it is hashed and stored', async (t) => {
  const { database } = await sharedTestDatabase();
  const tenantId = randomUUID();
  const entry = await appendAuditEntry(database.db, {
    tenantId,
    actor: { type: 'cli', id: 'ops' },
    action: 'secret_token.revoke',
    target: { type: 'secret_token', id: 'ppst_abcdefghijklmnopqrstuvwxyz012345' },
    outcome: 'failure',
    detail: { reason: 'no active secret token "ppst_abcdefghijklmnopqrstuvwxyz012345"', nested: ['ppadm_0123456789abcdef_0123456789abcdefghij'] },
  });
  t.equal(entry.target?.id, 'ppst_[redacted]');
  t.same(entry.detail, { reason: 'no active secret token "ppst_[redacted]"', nested: ['ppadm_[redacted]'] });
  const [stored] = await listChainEntries(database.db, tenantId, 0, 1);
  t.ok(stored && checkLink(undefined, { fields: hashedFieldsOf(stored), prevHash: stored.prevHash, hash: stored.hash }) === undefined, 'the stored entry verifies');
});
