import { sql, type Kysely } from 'kysely';
import { DISTRIBUTION_COLUMN, type ClassifiedTable } from '../../src/store/distribution.js';
import type { DB } from '../../src/store/tables.js';

/** What pg_catalog says about one schema's tables, reduced to what Citus's rules need. */
export interface SchemaModel {
  tables: TableModel[];
}

export interface TableModel {
  name: string;
  columns: { name: string; type: string; notNull: boolean; identity: boolean; serial: boolean }[];
  /** Primary keys and unique indexes: their plain key columns (expressions are left out) and their definition. */
  uniqueIndexes: { name: string; columns: string[]; definition: string }[];
  exclusionConstraints: { name: string; columns: string[]; definition: string }[];
  foreignKeys: { name: string; columns: string[]; target: string; targetColumns: string[]; definition: string }[];
  triggers: string[];
}

interface Row {
  [key: string]: unknown;
}

const names = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** Reads the model of `schema` (PostgreSQL's test schema, or `public` on PGlite) from pg_catalog. */
export async function introspectSchema(db: Kysely<DB>, schema: string): Promise<SchemaModel> {
  const run = async (query: ReturnType<typeof sql>): Promise<Row[]> => (await query.execute(db)).rows as Row[];
  const tables = await run(sql`
    select c.oid::int as oid, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relkind in ('r', 'p') and not c.relispartition order by c.relname`);
  const columns = await run(sql`
    select a.attrelid::int as oid, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
      a.attidentity <> '' as identity, coalesce(pg_get_expr(d.adbin, d.adrelid) like 'nextval(%', false) as serial
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where n.nspname = ${schema} and a.attnum > 0 and not a.attisdropped order by a.attrelid, a.attnum`);
  const indexes = await run(sql`
    select ix.indrelid::int as oid, i.relname as name, pg_get_indexdef(ix.indexrelid) as definition,
      array(select a.attname::text from unnest(ix.indkey::int2[]) k join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k) as columns
    from pg_index ix join pg_class i on i.oid = ix.indexrelid join pg_namespace n on n.oid = i.relnamespace
    where n.nspname = ${schema} and ix.indisunique order by i.relname`);
  const constraints = await run(sql`
    select con.conrelid::int as oid, con.conname as name, con.contype::text as type, pg_get_constraintdef(con.oid) as definition,
      tn.nspname as target_schema, t.relname as target,
      array(select a.attname::text from unnest(con.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o) as columns,
      array(select a.attname::text from unnest(con.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.o) as target_columns
    from pg_constraint con join pg_namespace n on n.oid = con.connamespace
    left join pg_class t on t.oid = con.confrelid left join pg_namespace tn on tn.oid = t.relnamespace
    where n.nspname = ${schema} and con.contype in ('f', 'x') order by con.conname`);
  const triggers = await run(sql`
    select tg.tgrelid::int as oid, tg.tgname as name from pg_trigger tg join pg_class c on c.oid = tg.tgrelid
    join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and not tg.tgisinternal`);
  return {
    tables: tables.map((t) => {
      const of = (rows: Row[]) => rows.filter((r) => r['oid'] === t['oid']);
      return {
        name: String(t['name']),
        columns: of(columns).map((c) => ({
          name: String(c['name']),
          type: String(c['type']),
          notNull: c['not_null'] === true,
          identity: c['identity'] === true,
          serial: c['serial'] === true,
        })),
        uniqueIndexes: of(indexes).map((i) => ({ name: String(i['name']), columns: names(i['columns']), definition: String(i['definition']) })),
        exclusionConstraints: of(constraints)
          .filter((c) => c['type'] === 'x')
          .map((c) => ({ name: String(c['name']), columns: names(c['columns']), definition: String(c['definition']) })),
        foreignKeys: of(constraints)
          .filter((c) => c['type'] === 'f')
          .map((c) => ({
            name: String(c['name']),
            columns: names(c['columns']),
            // A key into another schema (none today) would name it, so it can never pass for a table of ours.
            target: c['target_schema'] === schema ? String(c['target']) : `${String(c['target_schema'])}.${String(c['target'])}`,
            targetColumns: names(c['target_columns']),
            definition: String(c['definition']),
          })),
        triggers: of(triggers).map((tg) => String(tg['name'])),
      };
    }),
  };
}

/**
 * Citus's rules applied to the schema under the classification; one sentence per broken rule, naming the table,
 * the key or index and the rule (https://docs.citusdata.com/en/stable/develop/reference_ddl.html).
 */
export function citusSchemaViolations(model: SchemaModel, placements: readonly ClassifiedTable[]): string[] {
  const out: string[] = [];
  const kindOf = new Map(placements.map((p) => [p.table, p.placement.kind]));
  const order = new Map(placements.map((p, i) => [p.table, i]));
  const present = new Set(model.tables.map((t) => t.name));
  const col = DISTRIBUTION_COLUMN;

  for (const t of model.tables) {
    if (!kindOf.has(t.name)) {
      out.push(`${t.name}: not classified in src/store/distribution.ts (add it as distributed by ${col}, reference or local, with a reason)`);
    }
  }
  for (const p of placements) {
    if (!present.has(p.table)) out.push(`${p.table}: classified in src/store/distribution.ts but no such table after all migrations`);
  }

  const distributionTypes = new Map<string, string[]>();
  for (const t of model.tables) {
    const kind = kindOf.get(t.name);
    if (kind !== 'distributed') continue;
    const dc = t.columns.find((c) => c.name === col);
    if (!dc) {
      out.push(`${t.name}: distributed by ${col} but has no ${col} column`);
      continue;
    }
    if (!dc.notNull) out.push(`${t.name}: distribution column ${col} must be NOT NULL (a row without a tenant has no shard)`);
    distributionTypes.set(dc.type, [...(distributionTypes.get(dc.type) ?? []), t.name]);
    for (const ix of t.uniqueIndexes) {
      if (!ix.columns.includes(col)) {
        out.push(`${t.name}: unique index ${ix.name} does not include ${col}, which Citus refuses on a distributed table: ${ix.definition}`);
      }
    }
    for (const x of t.exclusionConstraints) {
      if (!x.columns.includes(col)) out.push(`${t.name}: exclusion constraint ${x.name} does not include ${col}: ${x.definition}`);
    }
    for (const c of t.columns) {
      if ((c.identity || c.serial) && c.type !== 'bigint') {
        out.push(`${t.name}: ${c.name} is a ${c.type} ${c.identity ? 'identity' : 'serial'}; on a distributed table Citus allows only bigint`);
      }
    }
    for (const tg of t.triggers) out.push(`${t.name}: trigger ${tg} on a distributed table (Citus runs triggers only per shard, unsafely)`);
  }
  if (distributionTypes.size > 1) {
    const parts = [...distributionTypes].map(([type, tables]) => `${type} (${tables.join(', ')})`).join(' vs ');
    out.push(`distributed tables are not co-located: ${col} has different types: ${parts}`);
  }

  for (const t of model.tables) {
    const from = kindOf.get(t.name);
    if (!from) continue;
    for (const fk of t.foreignKeys) {
      const to = kindOf.get(fk.target);
      const what = `${t.name}: foreign key ${fk.name} (${fk.definition})`;
      if (!to) {
        out.push(`${what} points at ${fk.target}, which is not classified`);
        continue;
      }
      if (from === 'distributed' && to === 'distributed') {
        const at = fk.columns.indexOf(col);
        if (at < 0 || fk.targetColumns[at] !== col) {
          out.push(`${what} joins two distributed tables but does not match ${col} to ${col}, so the rows may sit on different shards`);
        }
      }
      const forbidden = (from === 'reference' && to === 'distributed') || (from !== 'local' && to === 'local');
      if (from === 'reference' && to === 'distributed') out.push(`${what}: a reference table must not reference a distributed table`);
      if (from !== 'local' && to === 'local') out.push(`${what}: a ${from} table must not reference a table local to the coordinator`);
      if (!forbidden && from !== 'local' && fk.target !== t.name && (order.get(fk.target) ?? -1) > (order.get(t.name) ?? -1)) {
        out.push(`${what}: ${fk.target} must come before ${t.name} in src/store/distribution.ts (Citus needs the target placed first)`);
      }
    }
  }
  return out;
}
