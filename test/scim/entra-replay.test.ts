import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { createTestTenant } from '../helpers/tenants.js';

interface Step {
  name: string;
  request: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; body?: unknown };
  response: { status: number; body?: unknown };
  capture?: string;
}

const load = (file: string): Step[] =>
  (JSON.parse(readFileSync(new URL(`../fixtures/entra/${file}`, import.meta.url), 'utf8')) as { steps: Step[] }).steps;

/** Fills `{{name}}` placeholders (ids the server assigned earlier in the replay). */
const fill = (value: unknown, vars: Map<string, string>): unknown =>
  JSON.parse(JSON.stringify(value ?? null).replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars.get(k) ?? m));

/** The recorded corpus, each file naming the Microsoft page (or RFC section) its requests come from. */
const ENTRA_CORPUS = [
  'tutorial-users.json',
  'entra-quirks.json',
  'custom-extension-attributes.json',
  'matching-attributes.json',
  'value-paths-and-multi-valued.json',
  'projection-on-writes.json',
];

for (const file of ENTRA_CORPUS) {
  t.test(`Entra's requests in ${file} get the recorded answers, step by step`, async (t) => {
    const testApp = await buildTestApp(t);
    const tenant = await createTestTenant(testApp);
    const vars = new Map<string, string>();
    for (const step of load(file)) {
      const path = fill(step.request.path, vars) as string;
      const res = await testApp.app.inject({
        method: step.request.method,
        url: path.replace(/ /g, '%20').replace(/"/g, '%22'),
        headers: { ...tenant.scimHeaders, ...(step.request.body ? { 'content-type': 'application/scim+json' } : {}) },
        ...(step.request.body ? { payload: JSON.stringify(fill(step.request.body, vars)) } : {}),
      });
      t.equal(res.statusCode, step.response.status, `${step.name}: status`);
      if (step.capture) vars.set(step.capture, (res.json() as { id: string }).id);
      if (step.response.body === undefined) {
        t.equal(res.body, '', `${step.name}: no body`);
      } else {
        t.match(res.headers['content-type'], /^application\/scim\+json/, `${step.name}: content type`);
        t.same(res.json(), fill(step.response.body, vars), `${step.name}: body`);
      }
    }
  });
}
