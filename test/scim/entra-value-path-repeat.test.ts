import { readdirSync, readFileSync } from 'node:fs';
import { parse, type Filter } from 'scim2-parse-filter';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { createTestTenant } from '../helpers/tenants.js';

interface Step {
  name: string;
  request: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; body?: unknown };
  response: { status: number; body?: unknown };
  capture?: string;
}
interface Operation { op: string; path?: string; value?: unknown }

const folder = new URL('../fixtures/entra/', import.meta.url);
const corpus = readdirSync(folder).filter((f) => f.endsWith('.json')).sort();
const load = (file: string): Step[] => (JSON.parse(readFileSync(new URL(file, folder), 'utf8')) as { steps: Step[] }).steps;
const fill = (value: unknown, vars: Map<string, string>): unknown =>
  JSON.parse(JSON.stringify(value ?? null).replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars.get(k) ?? m));

/** `emails[type eq "work"].value` → the attribute and its filter. */
const VALUE_PATH = /^([^[\]]+)\[(.+)\](?:\.[\w$]+)?$/;
const valuePathsOf = (step: Step): { attribute: string; filter: Filter }[] => {
  if (step.request.method !== 'PATCH' || step.response.status !== 200) return [];
  const ops = ((step.request.body as { Operations?: Operation[] } | undefined)?.Operations ?? []);
  return ops.flatMap((o) => {
    const m = o.op.toLowerCase() !== 'remove' && o.path ? VALUE_PATH.exec(o.path) : null;
    return m ? [{ attribute: m[1] ?? '', filter: parse(m[2] ?? '') }] : [];
  });
};

/** SCIM's matching: strings ignoring case, "True"/"False" as the booleans Entra means. */
const norm = (v: unknown): unknown => (typeof v === 'string' ? (/^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v.toLowerCase()) : v);
function matches(el: Record<string, unknown>, f: Filter): boolean {
  if (f.op === 'and' && 'filters' in f) return f.filters.every((x) => matches(el, x));
  if (f.op === 'or' && 'filters' in f) return f.filters.some((x) => matches(el, x));
  if (f.op === 'eq' && 'compValue' in f) {
    const key = Object.keys(el).find((k) => k.toLowerCase() === f.attrPath.toLowerCase());
    return key !== undefined && norm(el[key]) === norm(f.compValue);
  }
  throw new Error(`unexpected filter in the corpus: ${f.op}`);
}

const steps = corpus.flatMap((file) => load(file).map((step) => ({ file, step })));
t.ok(steps.filter(({ step }) => valuePathsOf(step).length > 0).length >= 6, 'the corpus has value-path PATCHes to repeat');

for (const file of corpus) {
  t.test(`${file}: each value-path PATCH sent three times leaves one matching element and the same version`, async (t) => {
    const testApp = await buildTestApp(t);
    const tenant = await createTestTenant(testApp);
    const vars = new Map<string, string>();
    for (const step of load(file)) {
      const paths = valuePathsOf(step);
      const send = () =>
        testApp.app.inject({
          method: step.request.method,
          url: (fill(step.request.path, vars) as string).replace(/ /g, '%20').replace(/"/g, '%22'),
          headers: { ...tenant.scimHeaders, ...(step.request.body ? { 'content-type': 'application/scim+json' } : {}) },
          ...(step.request.body ? { payload: JSON.stringify(fill(step.request.body, vars)) } : {}),
        });
      const first = await send();
      t.equal(first.statusCode, step.response.status, `${step.name}: status`);
      if (step.capture) vars.set(step.capture, (first.json() as { id: string }).id);
      if (paths.length === 0) continue;
      const answers = [first, await send(), await send()].map((r) => r.json() as Record<string, unknown> & { meta: { version: string } });
      t.same(answers.map((a) => a.meta.version), Array(3).fill(answers[0]?.meta.version), `${step.name}: one version for all three`);
      t.same(answers[2], answers[0], `${step.name}: the third answer is the first`);
      for (const { attribute, filter } of paths) {
        const elements = (answers[2]?.[attribute] ?? []) as Record<string, unknown>[];
        t.equal(elements.filter((el) => matches(el, filter)).length, 1, `${step.name}: one element of ${attribute} matches`);
      }
    }
  });
}
