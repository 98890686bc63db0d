import { loadModule, parseSync } from 'libpg-query';
import { DISTRIBUTION_COLUMN, fanOutMarks, type ClassifiedTable, type FanOutQuery } from '../../src/store/distribution.js';

/**
 * Issue 18's statement rule, on PostgreSQL's own parse tree (libpg-query): a statement that touches a
 * distributed table runs on one shard only when every reference to such a table is pinned to one tenant, by
 * `tenant_id = <value>` (or `in (<one value>)`) or by an equality join on `tenant_id` with a reference that is
 * pinned, also from a correlated subquery to its outer query. An insert gives every row its `tenant_id`; an update
 * never changes it (Citus cannot move a row between shards); no statement mixes distributed and local tables.
 * A statement marked `fan-out: <id>` with an id of FAN_OUT_QUERIES is intended and passes.
 */
type J = Record<string, unknown>;

const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): J | undefined => (isObj(v) ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export async function loadStatementParser(): Promise<void> {
  await loadModule();
}

export interface StatementRulesOptions {
  placements: readonly ClassifiedTable[];
  fanOuts: readonly FanOutQuery[];
  /** Schemas that are ours (tables named with any other schema, e.g. pg-boss's or pg_catalog, are not checked). */
  ownSchemas: readonly string[];
}

interface Rel {
  alias: string;
  table: string;
  kind: 'distributed' | 'reference' | 'local' | 'derived' | 'unknown';
}

interface Scope {
  rels: Rel[];
  /** Aliases pinned to one tenant, of this scope. */
  pinned: Set<string>;
  parent: Scope | undefined;
  ctes: Set<string>;
}

/** What a column reference `x.tenant_id` (or `tenant_id`) resolves to: a relation of this scope or an outer one. */
type Target = { scope: Scope; alias: string };

class Checker {
  readonly problems: string[] = [];
  readonly tablesSeen = new Map<string, Rel['kind']>();
  private readonly kinds: Map<string, 'distributed' | 'reference' | 'local'>;

  constructor(private readonly options: StatementRulesOptions) {
    this.kinds = new Map(options.placements.map((p) => [p.table, p.placement.kind]));
  }

  statement(node: J): void {
    const [type, body] = Object.entries(node)[0] ?? [];
    const b = obj(body);
    if (!b) return;
    if (type === 'SelectStmt') this.select(b, undefined, new Set());
    else if (type === 'InsertStmt') this.insert(b);
    else if (type === 'UpdateStmt') this.update(b);
    else if (type === 'DeleteStmt') this.delete(b);
    // Utility statements (BEGIN, SET, DDL of migrations, …) touch no rows of a tenant.
  }

  private withCtes(b: J, parent: Scope | undefined, ctes: Set<string>): Set<string> {
    const names = new Set(ctes);
    const clause = obj(obj(b['withClause'])?.['WithClause'] ?? b['withClause']);
    for (const c of list(clause?.['ctes'])) {
      const cte = obj(obj(c)?.['CommonTableExpr']);
      const name = str(cte?.['ctename']);
      if (name) names.add(name);
    }
    for (const c of list(clause?.['ctes'])) {
      const query = obj(obj(obj(c)?.['CommonTableExpr'])?.['ctequery']);
      if (query) this.nested(query, parent, names);
    }
    return names;
  }

  /** A statement inside another (CTE, sub-select in FROM, sub-link): checked as a scope of its own. */
  private nested(node: J, parent: Scope | undefined, ctes: Set<string>): void {
    const select = obj(node['SelectStmt']);
    if (select) return this.select(select, parent, ctes);
    const ins = obj(node['InsertStmt']);
    if (ins) return this.insert(ins, ctes);
    const upd = obj(node['UpdateStmt']);
    if (upd) return this.update(upd, ctes);
    const del = obj(node['DeleteStmt']);
    if (del) return this.delete(del, ctes);
  }

  private relation(rangeVar: J, ctes: Set<string>): Rel {
    const table = str(rangeVar['relname']) ?? '?';
    const schema = str(rangeVar['schemaname']);
    const alias = str(obj(rangeVar['alias'])?.['aliasname']) ?? table;
    if (schema === undefined && ctes.has(table)) return { alias, table, kind: 'derived' };
    if (schema !== undefined && !this.options.ownSchemas.includes(schema)) return { alias, table: `${schema}.${table}`, kind: 'derived' };
    const kind = this.kinds.get(table) ?? 'unknown';
    this.tablesSeen.set(table, kind);
    if (kind === 'unknown') this.problems.push(`table ${table} is not classified in src/store/distribution.ts`);
    return { alias, table, kind };
  }

  /** Relations of a FROM list, and the join conditions that constrain them. */
  private from(items: unknown[], scope: Scope, ctes: Set<string>, conds: { expr: J; onlyPin?: Set<string> }[]): void {
    for (const item of items) {
      const node = obj(item);
      if (!node) continue;
      const rv = obj(node['RangeVar']);
      if (rv) scope.rels.push(this.relation(rv, ctes));
      const join = obj(node['JoinExpr']);
      if (join) {
        const before = scope.rels.length;
        this.from([join['larg']], scope, ctes, conds);
        const middle = scope.rels.length;
        this.from([join['rarg']], scope, ctes, conds);
        const quals = obj(join['quals']);
        const type = str(join['jointype']);
        // An ON condition filters only the side that may go missing: a LEFT JOIN's right, a RIGHT JOIN's left.
        const side = (from: number, to: number) => new Set(scope.rels.slice(from, to).map((r) => r.alias));
        if (quals) {
          if (type === 'JOIN_LEFT') conds.push({ expr: quals, onlyPin: side(middle, scope.rels.length) });
          else if (type === 'JOIN_RIGHT') conds.push({ expr: quals, onlyPin: side(before, middle) });
          else if (type === 'JOIN_FULL') conds.push({ expr: quals, onlyPin: new Set() });
          else conds.push({ expr: quals });
        }
      }
      const sub = obj(node['RangeSubselect']);
      if (sub) {
        const query = obj(sub['subquery']);
        if (query) this.nested(query, sub['lateral'] === true ? scope : scope.parent, ctes);
        scope.rels.push({ alias: str(obj(sub['alias'])?.['aliasname']) ?? '?', table: '(subquery)', kind: 'derived' });
      }
      // RangeFunction (jsonb_array_elements, unnest…) reads no table.
    }
  }

  private select(b: J, parent: Scope | undefined, outerCtes: Set<string>): void {
    const ctes = this.withCtes(b, parent, outerCtes);
    if (str(b['op']) && b['op'] !== 'SETOP_NONE') {
      for (const side of [b['larg'], b['rarg']]) {
        const s = obj(side);
        if (s) this.select(s, parent, ctes);
      }
      return;
    }
    for (const row of list(b['valuesLists'])) this.subLinks(row, parent, ctes);
    const scope: Scope = { rels: [], pinned: new Set(), parent, ctes };
    const conds: { expr: J; onlyPin?: Set<string> }[] = [];
    this.from(list(b['fromClause']), scope, ctes, conds);
    const where = obj(b['whereClause']);
    if (where) conds.push({ expr: where });
    this.pin(scope, conds);
    for (const key of ['targetList', 'havingClause', 'sortClause', 'groupClause', 'limitCount', 'limitOffset']) {
      this.subLinks(b[key], scope, ctes);
    }
    for (const c of conds) this.subLinks(c.expr, scope, ctes);
    this.report(scope);
  }

  private insert(b: J, outerCtes = new Set<string>()): void {
    const ctes = this.withCtes(b, undefined, outerCtes);
    const rv = obj(b['relation']);
    if (!rv) return;
    const rel = this.relation(rv, ctes);
    const cols = list(b['cols']).map((c) => str(obj(obj(c)?.['ResTarget'])?.['name']));
    const at = cols.indexOf(DISTRIBUTION_COLUMN);
    const source = obj(obj(b['selectStmt'])?.['SelectStmt']);
    const scope: Scope = { rels: [rel], pinned: new Set([rel.alias]), parent: undefined, ctes };
    if (rel.kind === 'distributed') {
      if (at < 0) this.problems.push(`insert into ${rel.table} does not give ${DISTRIBUTION_COLUMN}`);
      else if (source && list(source['valuesLists']).length > 0) {
        list(source['valuesLists']).forEach((row, i) => {
          const value = list(obj(obj(row)?.['List'])?.['items'])[at];
          if (!isValue(value)) this.problems.push(`insert into ${rel.table}: row ${i + 1} does not give ${DISTRIBUTION_COLUMN} as a value`);
        });
      } else if (source) {
        const target = obj(obj(list(source['targetList'])[at])?.['ResTarget'])?.['val'];
        if (!isValue(target) && columnName(target) !== DISTRIBUTION_COLUMN) {
          this.problems.push(`insert into ${rel.table} … select: ${DISTRIBUTION_COLUMN} is neither a value nor a ${DISTRIBUTION_COLUMN} column`);
        }
      }
    }
    if (source) this.select(source, undefined, ctes);
    const conflict = obj(obj(b['onConflictClause'])?.['OnConflictClause'] ?? b['onConflictClause']);
    if (conflict) {
      this.noDistributionUpdate(rel, conflict['targetList']);
      this.subLinks(conflict['targetList'], scope, ctes);
      this.subLinks(conflict['whereClause'], scope, ctes);
    }
    this.subLinks(b['returningList'], scope, ctes);
  }

  private update(b: J, outerCtes = new Set<string>()): void {
    const ctes = this.withCtes(b, undefined, outerCtes);
    const rv = obj(b['relation']);
    if (!rv) return;
    const scope: Scope = { rels: [this.relation(rv, ctes)], pinned: new Set(), parent: undefined, ctes };
    const conds: { expr: J; onlyPin?: Set<string> }[] = [];
    this.from(list(b['fromClause']), scope, ctes, conds);
    const where = obj(b['whereClause']);
    if (where) conds.push({ expr: where });
    this.pin(scope, conds);
    const [target] = scope.rels;
    if (target) this.noDistributionUpdate(target, b['targetList']);
    for (const key of ['targetList', 'whereClause', 'returningList']) this.subLinks(b[key], scope, ctes);
    this.report(scope);
  }

  private delete(b: J, outerCtes = new Set<string>()): void {
    const ctes = this.withCtes(b, undefined, outerCtes);
    const rv = obj(b['relation']);
    if (!rv) return;
    const scope: Scope = { rels: [this.relation(rv, ctes)], pinned: new Set(), parent: undefined, ctes };
    const conds: { expr: J; onlyPin?: Set<string> }[] = [];
    this.from(list(b['usingClause']), scope, ctes, conds);
    const where = obj(b['whereClause']);
    if (where) conds.push({ expr: where });
    this.pin(scope, conds);
    for (const key of ['whereClause', 'returningList']) this.subLinks(b[key], scope, ctes);
    this.report(scope);
  }

  private noDistributionUpdate(rel: Rel, targets: unknown): void {
    if (rel.kind !== 'distributed') return;
    for (const t of list(targets)) {
      if (str(obj(obj(t)?.['ResTarget'])?.['name']) === DISTRIBUTION_COLUMN) {
        this.problems.push(`update of ${rel.table} sets ${DISTRIBUTION_COLUMN}, which Citus cannot do (the row would change shard)`);
      }
    }
  }

  /** Which aliases of the scope the conditions pin to one tenant (a fixed point over tenant_id equalities). */
  private pin(scope: Scope, conds: { expr: J; onlyPin?: Set<string> }[]): void {
    const edges: { from: Target | 'value'; to: Target; onlyPin?: Set<string> }[] = [];
    for (const cond of conds) {
      for (const conjunct of conjuncts(cond.expr)) {
        const eq = equality(conjunct);
        if (!eq) continue;
        const [l, r] = eq;
        const lt = this.resolve(l, scope);
        const rt = this.resolve(r, scope);
        const lv = isValue(l);
        const rv = isValue(r);
        if (lt && rv) edges.push({ from: 'value', to: lt, ...only(cond) });
        if (rt && lv) edges.push({ from: 'value', to: rt, ...only(cond) });
        if (lt && rt) {
          edges.push({ from: lt, to: rt, ...only(cond) });
          edges.push({ from: rt, to: lt, ...only(cond) });
        }
      }
    }
    const isPinned = (t: Target | 'value'): boolean => t === 'value' || t.scope.pinned.has(t.alias);
    for (let changed = true; changed; ) {
      changed = false;
      for (const e of edges) {
        if (e.to.scope !== scope || scope.pinned.has(e.to.alias)) continue;
        if (e.onlyPin && !e.onlyPin.has(e.to.alias)) continue;
        if (isPinned(e.from)) {
          scope.pinned.add(e.to.alias);
          changed = true;
        }
      }
    }
  }

  /** `x.tenant_id` or a bare `tenant_id` → the relation it names, here or in an outer query. */
  private resolve(node: unknown, scope: Scope): Target | undefined {
    const fields = columnFields(node);
    if (!fields || fields[fields.length - 1] !== DISTRIBUTION_COLUMN) return undefined;
    const qualifier = fields.length >= 2 ? fields[fields.length - 2] : undefined;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      if (qualifier !== undefined) {
        if (s.rels.some((r) => r.alias === qualifier)) return { scope: s, alias: qualifier };
        continue;
      }
      // PostgreSQL resolved the bare name, so exactly one relation of the nearest scope with tables has it.
      const candidates = s.rels.filter((r) => r.kind === 'distributed');
      if (candidates.length === 1 && candidates[0]) return { scope: s, alias: candidates[0].alias };
      if (s.rels.length === 1 && s.rels[0]) return { scope: s, alias: s.rels[0].alias };
      if (s.rels.length > 0) return undefined;
    }
    return undefined;
  }

  /** Sub-selects inside expressions, checked with this scope as their outer query. */
  private subLinks(node: unknown, scope: Scope | undefined, ctes: Set<string>): void {
    if (Array.isArray(node)) {
      for (const n of node) this.subLinks(n, scope, ctes);
      return;
    }
    if (!isObj(node)) return;
    const link = obj(node['SubLink']);
    if (link) {
      this.subLinks(link['testexpr'], scope, ctes);
      const sub = obj(link['subselect']);
      if (sub) this.nested(sub, scope, ctes);
      return;
    }
    if (node['SelectStmt'] !== undefined) return;
    for (const v of Object.values(node)) this.subLinks(v, scope, ctes);
  }

  private report(scope: Scope): void {
    for (const rel of scope.rels) {
      if (rel.kind !== 'distributed' || scope.pinned.has(rel.alias)) continue;
      const as = rel.alias === rel.table ? '' : ` (as ${rel.alias})`;
      this.problems.push(
        `${rel.table}${as} is not pinned to one tenant: no ${DISTRIBUTION_COLUMN} = <value> on it, nor an equality join on ${DISTRIBUTION_COLUMN} with a table that is`,
      );
    }
  }
}

const only = (cond: { onlyPin?: Set<string> }): { onlyPin?: Set<string> } => (cond.onlyPin ? { onlyPin: cond.onlyPin } : {});

function conjuncts(node: J): J[] {
  const b = obj(node['BoolExpr']);
  if (b && b['boolop'] === 'AND_EXPR') return list(b['args']).flatMap((a) => (isObj(a) ? conjuncts(a) : []));
  return [node];
}

/** `a = b`, or `a in (b)` with one value: the two sides. */
function equality(node: J): [unknown, unknown] | undefined {
  const e = obj(node['A_Expr']);
  if (!e) return undefined;
  const op = list(e['name']).map((n) => str(obj(obj(n)?.['String'])?.['sval'])).join('.');
  if (e['kind'] === 'AEXPR_OP' && op === '=') return [e['lexpr'], e['rexpr']];
  if (e['kind'] === 'AEXPR_IN' && op === '=') {
    const values = list(obj(e['rexpr'])?.['List'] ? obj(obj(e['rexpr'])?.['List'])?.['items'] : e['rexpr']);
    if (values.length === 1) return [e['lexpr'], values[0]];
  }
  return undefined;
}

function unwrapCast(node: unknown): unknown {
  const cast = obj(obj(node)?.['TypeCast']);
  return cast ? unwrapCast(cast['arg']) : node;
}

/** A bound parameter or a literal (pg_stat_statements turns literals into parameters). */
function isValue(node: unknown): boolean {
  const n = obj(unwrapCast(node));
  if (!n) return false;
  const c = obj(n['A_Const']);
  return n['ParamRef'] !== undefined || (c !== undefined && c['isnull'] !== true);
}

function columnFields(node: unknown): string[] | undefined {
  const ref = obj(obj(unwrapCast(node))?.['ColumnRef']);
  if (!ref) return undefined;
  const fields = list(ref['fields']).map((f) => str(obj(obj(f)?.['String'])?.['sval']));
  return fields.every((f): f is string => f !== undefined) ? fields : undefined;
}

function columnName(node: unknown): string | undefined {
  return columnFields(node)?.at(-1);
}

/**
 * Problems of one statement (empty: it keeps the rules). `loadStatementParser()` must have run.
 */
export function statementProblems(text: string, options: StatementRulesOptions): string[] {
  const marks = fanOutMarks(text);
  const known = new Set(options.fanOuts.map((f) => f.id));
  const unknownMarks = marks.filter((m) => !known.has(m));
  if (unknownMarks.length > 0) return unknownMarks.map((m) => `marked fan-out: ${m}, which FAN_OUT_QUERIES in src/store/distribution.ts does not list`);
  if (marks.length > 0) return [];
  let tree: J;
  try {
    tree = parseSync(text) as unknown as J;
  } catch (error) {
    return [`could not parse: ${error instanceof Error ? error.message : String(error)}`];
  }
  const checker = new Checker(options);
  for (const s of list(tree['stmts'])) {
    const stmt = obj(obj(s)?.['stmt']);
    if (stmt) checker.statement(stmt);
  }
  const kinds = new Set(checker.tablesSeen.values());
  if (kinds.has('distributed') && kinds.has('local')) {
    const names = [...checker.tablesSeen].filter(([, k]) => k === 'distributed' || k === 'local').map(([t, k]) => `${t} (${k})`);
    checker.problems.push(`joins distributed and coordinator-local tables in one statement: ${names.join(', ')}`);
  }
  return checker.problems;
}

/** Whether a statement names any distributed table (what the statement test counts as "touching" one). */
export function touchesDistributed(text: string, placements: readonly ClassifiedTable[]): boolean {
  const distributed = placements.filter((p) => p.placement.kind === 'distributed').map((p) => p.table);
  return distributed.some((t) => new RegExp(`\\b${t}\\b`).test(text));
}
