import { readFileSync } from 'node:fs';
import t from 'tap';
import { citusSetupSql, TABLE_PLACEMENTS } from '../../src/store/distribution.js';
import { renderScalingDoc, scalingDocPath } from '../helpers/scaling-doc.js';

t.test('docs/scaling.md shows the classification of src/store/distribution.ts as it is', async (t) => {
  const doc = readFileSync(scalingDocPath, 'utf8');
  t.equal(doc, renderScalingDoc(doc), 'docs/scaling.md differs from src/store/distribution.ts: run `npx tsx test/helpers/scaling-doc.ts`');
});

t.test('the Citus calls create reference tables before distributed ones, all co-located with the first', async (t) => {
  const calls = citusSetupSql()
    .split('\n')
    .filter((l) => l.startsWith('SELECT '));
  const kinds = calls.map((l) => (l.includes('create_reference_table') ? 'reference' : 'distributed'));
  t.same(kinds, [...kinds].sort((a, b) => (a === b ? 0 : a === 'reference' ? -1 : 1)), 'reference tables come first');
  const distributed = calls.filter((l) => l.includes('create_distributed_table'));
  t.ok(distributed.length > 0);
  t.notOk(distributed[0]?.includes('colocate_with'), 'the first distributed table sets the co-location group');
  for (const call of distributed.slice(1)) t.match(call, /, 'tenant_id', colocate_with => '[a-z_]+'\);$/, call);
  const named = new Set(calls.map((l) => /\('([a-z_]+)'/.exec(l)?.[1]));
  for (const entry of TABLE_PLACEMENTS) {
    if (entry.placement.kind !== 'local') t.ok(named.has(entry.table), `${entry.table} has its Citus call`);
  }
});
