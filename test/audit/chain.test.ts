import t from 'tap';
import { AUDIT_PURGE_ACTION, canonicalJson, checkLink, entryHash, purgeAnchor, type HashedFields, type StoredLink } from '../../src/audit/chain.js';
import { fieldChanges } from '../../src/audit/changes.js';

const fields = (seq: number, over: Partial<HashedFields> = {}): HashedFields => ({
  tenantId: '11111111-1111-4111-8111-111111111111',
  seq,
  id: `00000000-0000-4000-8000-00000000000${seq}`,
  occurredAt: '2026-12-05T07:00:00.000Z',
  actorType: 'admin_token',
  actorId: 'tok-1',
  actorLabel: null,
  sourceIp: '203.0.113.9',
  userAgent: null,
  action: 'tenant.rename',
  targetType: 'tenant',
  targetId: 't-1',
  outcome: 'success',
  changes: { name: { old: 'A', new: 'B' } },
  detail: null,
  ...over,
});

/** A well-formed chain of `n` links starting at seq `from` after `prev`. */
function chain(n: number, from = 1, prev: string | null = null): StoredLink[] {
  const links: StoredLink[] = [];
  for (let i = 0; i < n; i++) {
    const f = fields(from + i);
    const hash = entryHash(prev, f);
    links.push({ fields: f, prevHash: prev, hash });
    prev = hash;
  }
  return links;
}

function firstBreak(links: StoredLink[], anchor?: Parameters<typeof checkLink>[2]) {
  let previous: { seq: number; hash: string } | undefined;
  for (const link of links) {
    const broken = checkLink(previous, link, anchor);
    if (broken) return broken;
    previous = { seq: link.fields.seq, hash: link.hash };
  }
  return undefined;
}

t.test('canonical JSON sorts keys at every depth, so jsonb key order does not change the hash', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  t.equal(entryHash(null, fields(1, { changes: { x: { old: 1, new: 2 }, a: { new: 3, old: 4 } } })), entryHash(null, fields(1, { changes: { a: { old: 4, new: 3 }, x: { new: 2, old: 1 } } })));
});

t.test('the hash covers every field and the previous hash', async (t) => {
  const base = entryHash('abc', fields(1));
  t.match(base, /^[0-9a-f]{64}$/);
  t.not(entryHash('abd', fields(1)), base);
  t.not(entryHash(null, fields(1)), base);
  for (const [key, value] of Object.entries({ actorId: 'tok-2', sourceIp: null, action: 'tenant.create', outcome: 'failure', occurredAt: '2026-12-05T07:00:00.001Z' })) {
    t.not(entryHash('abc', fields(1, { [key]: value })), base, `${key} is covered`);
  }
  t.not(entryHash('abc', fields(1, { changes: { name: { old: 'A', new: 'C' } } })), base, 'changes are covered');
});

t.test('an untouched chain has no break', async (t) => {
  t.equal(firstBreak(chain(5)), undefined);
});

t.test('an edited field breaks the chain at that entry, with expected and stored hash', async (t) => {
  const links = chain(5);
  const third = links[2] as StoredLink;
  third.fields = { ...third.fields, actorId: 'someone-else' };
  const broken = firstBreak(links);
  t.match(broken, { seq: 3, id: third.fields.id, reason: 'hash-mismatch', stored: third.hash });
  t.equal(broken?.expected, entryHash(third.prevHash, third.fields));
});

t.test('a deleted entry in the middle shows as a gap in seq', async (t) => {
  const links = chain(5);
  links.splice(1, 1);
  t.match(firstBreak(links), { seq: 3, reason: 'seq-gap' });
});

t.test('a re-hashed edit still breaks at the next entry, whose prev_hash no longer matches', async (t) => {
  const links = chain(4);
  const second = links[1] as StoredLink;
  second.fields = { ...second.fields, detail: { forged: true } };
  second.hash = entryHash(second.prevHash, second.fields);
  t.match(firstBreak(links), { seq: 3, reason: 'prev-hash-mismatch', expected: second.hash });
});

t.test('after a purge the chain verifies from its oldest remaining entry, anchored by the purge record', async (t) => {
  const all = chain(6);
  const lastPurged = all[2] as StoredLink;
  const remaining = all.slice(3);
  const anchor = { purgedThroughSeq: 3, purgedThroughHash: lastPurged.hash, purged: 3 };
  t.equal(firstBreak(remaining, anchor), undefined);
  t.match(firstBreak(remaining), { seq: 4, reason: 'missing-start' }, 'old entries gone without a purge record');
  t.match(firstBreak(remaining, { ...anchor, purgedThroughHash: 'f'.repeat(64) }), { seq: 4, reason: 'prev-hash-mismatch' });
  t.match(firstBreak(all.slice(4), anchor), { seq: 5, reason: 'missing-start' }, 'more deleted than the purge recorded');
});

t.test('purgeAnchor reads only well-formed purge records', async (t) => {
  t.same(purgeAnchor(AUDIT_PURGE_ACTION, { purgedThroughSeq: 3, purgedThroughHash: 'h', purged: 3 }), { purgedThroughSeq: 3, purgedThroughHash: 'h', purged: 3 });
  t.equal(purgeAnchor('tenant.rename', { purgedThroughSeq: 3, purgedThroughHash: 'h', purged: 3 }), undefined);
  t.equal(purgeAnchor(AUDIT_PURGE_ACTION, { purgedThroughSeq: '3', purgedThroughHash: 'h', purged: 3 }), undefined);
});

t.test('fieldChanges records only the listed fields that changed, as old → new', async (t) => {
  const before = { name: 'Contoso', status: 'active', secret_hash: 'x', createdAt: new Date('2026-01-01T00:00:00Z') };
  const after = { name: 'Contoso Ltd', status: 'active', secret_hash: 'y', createdAt: new Date('2026-01-01T00:00:00Z') };
  t.same(fieldChanges(before, after, ['name', 'status', 'createdAt']), { name: { old: 'Contoso', new: 'Contoso Ltd' } });
  t.equal(fieldChanges(before, before, ['name']), undefined);
  t.same(fieldChanges(null, { name: 'New' }, ['name']), { name: { old: null, new: 'New' } });
});
