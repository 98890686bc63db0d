import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, InjectOptions, LightMyRequestChain, LightMyRequestResponse, RouteOptions } from 'fastify';
import { loadOpenApiDocument, resolvePathItem, type OpenApiDocument } from '../../src/openapi/document.js';

/**
 * The OpenAPI document as a checker of real responses. Every response a test receives through `app.inject()` on
 * a `buildTestApp` app is validated here: the route and method must be documented, the status must be one the
 * operation lists, the media type one that status lists, and a JSON body must match its schema.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const JSON_MEDIA = /^application\/(.+\+)?json$/;
const DOCUMENT_ID = 'https://portal-provisioning.invalid/openapi.json';

// ajv-formats is CommonJS with a default export; under NodeNext its namespace object is what we get.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, unknown>;

interface ErrorFamilySpec {
  prefix: string;
  schema: string;
  mediaTypes: string[];
  /** Statuses an unmatched request may get under this prefix (default 400, 404, 503). */
  statuses?: number[];
}

export interface ResponseFacts {
  method: string;
  /** Fastify's route pattern (`/scim/v2/Users/:id`), undefined when no route matched (404 handler). */
  route: string | undefined;
  url: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** `/scim/v2/Users/:id` → `/scim/v2/Users/{id}`; a wildcard `*` → `{wildcard}`. */
export function openApiPathOf(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}').replace(/\*$/, '{wildcard}');
}

const pointerToken = (token: string): string => encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1'));

export class Contract {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly families: ErrorFamilySpec[];

  constructor(readonly document: OpenApiDocument) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema(document as object, DOCUMENT_ID);
    const families = (document['x-error-families'] ?? []) as ErrorFamilySpec[];
    this.families = [...families].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Every `METHOD /path` the document describes. */
  operations(): Set<string> {
    const ops = new Set<string>();
    for (const path of Object.keys(this.document.paths)) {
      const item = resolvePathItem(this.document, path)?.item ?? {};
      for (const method of METHODS) if (item[method]) ops.add(`${method.toUpperCase()} ${path}`);
    }
    return ops;
  }

  /**
   * The documented path for a served one: itself, or a template it instantiates (a route with a fixed,
   * content-hashed name such as `/console/assets/console.1a2b.css` is described by `/console/assets/{asset}`).
   */
  documentedPath(path: string): string | undefined {
    if (this.document.paths[path]) return path;
    return Object.keys(this.document.paths).find((template) =>
      template.includes('{') &&
      new RegExp(`^${template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+')}$`).test(path),
    );
  }

  /** Served `METHOD /path` operations the document does not describe. */
  undocumented(served: Iterable<string>): string[] {
    const ops = this.operations();
    return [...served].filter((op) => {
      const [method = '', path = ''] = op.split(' ');
      const documented = this.documentedPath(path);
      return documented === undefined || !ops.has(`${method} ${documented}`);
    });
  }

  /** Documented operations no served route answers (a template counts as served when some route instantiates it). */
  unserved(served: Iterable<string>): string[] {
    const answered = new Set([...served].map((op) => {
      const [method = '', path = ''] = op.split(' ');
      return `${method} ${this.documentedPath(path) ?? path}`;
    }));
    return [...this.operations()].filter((op) => !answered.has(op));
  }

  /** What is wrong with this response, as sentences; empty when it matches the document. */
  check(facts: ResponseFacts): string[] {
    const where = `${facts.method} ${facts.url} → ${facts.status}`;
    if (facts.route === undefined) return this.checkUnmatched(facts, where);
    const served = openApiPathOf(facts.route);
    const path = this.documentedPath(served);
    const resolved = path === undefined ? undefined : resolvePathItem(this.document, path);
    if (path === undefined || !resolved) return [`${where}: route ${served} is not in the OpenAPI document`];
    const item = resolved.item;
    const method = facts.method.toLowerCase();
    // Fastify answers HEAD for every GET route; it is described by the GET operation, without a body.
    const op = (item[method] ?? (method === 'head' ? item['get'] : undefined)) as Json | undefined;
    const opName = item[method] ? method : 'get';
    if (!op) return [`${where}: ${facts.method.toUpperCase()} ${path} is not in the OpenAPI document`];
    const responses = (op['responses'] ?? {}) as Json;
    const code = [String(facts.status), `${String(facts.status)[0]}XX`].find((c) => c in responses);
    if (code === undefined) {
      return [`${where}: status ${facts.status} is not documented for ${opName.toUpperCase()} ${path} (documented: ${Object.keys(responses).join(', ')}); body: ${facts.body.slice(0, 300)}`];
    }
    const pointer = `${resolved.pointer.split('/').map((t) => encodeURIComponent(t)).join('/')}/${opName}/responses/${pointerToken(code)}`;
    return this.checkResponse(facts, where, pointer, method === 'head');
  }

  private checkUnmatched(facts: ResponseFacts, where: string): string[] {
    const family = this.families.find((f) => facts.url.startsWith(f.prefix));
    if (!family) return [`${where}: no route matched and no x-error-families entry covers the URL`];
    // 404 from the not-found handler, 400 from the router (a URL that is not valid UTF-8), 503 while closing.
    const allowed = family.statuses ?? [400, 404, 503];
    if (!allowed.includes(facts.status)) return [`${where}: no route matched, so only ${allowed.join(', ')} are expected under ${family.prefix}`];
    if (facts.status >= 300 && facts.status < 400) return [];
    return this.checkBody(facts, where, family.mediaTypes, `#${family.schema.replace(/^#/, '')}`, false);
  }

  private checkResponse(facts: ResponseFacts, where: string, pointer: string, head: boolean): string[] {
    let response = this.at(pointer);
    let base = pointer;
    const ref = response['$ref'];
    if (typeof ref === 'string') {
      base = ref.replace(/^#/, '');
      response = this.at(base);
    }
    const problems: string[] = [];
    for (const [name, header] of Object.entries((response['headers'] ?? {}) as Record<string, Json>)) {
      if (header['required'] === true && facts.headers[name.toLowerCase()] === undefined) problems.push(`${where}: required header ${name} is missing`);
    }
    const content = response['content'] as Json | undefined;
    if (!content) {
      if (facts.body.length > 0 && !head) problems.push(`${where}: the document says no body, the response has ${facts.body.length} bytes`);
      return problems;
    }
    const mediaTypes = Object.keys(content);
    return [...problems, ...this.checkBody(facts, where, mediaTypes, `#${base}/content`, head)];
  }

  private checkBody(facts: ResponseFacts, where: string, mediaTypes: string[], schemaBase: string, head: boolean): string[] {
    const contentType = String(facts.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (head) return [];
    const media = mediaTypes.find((m) => m.toLowerCase() === contentType);
    if (!media) return [`${where}: content-type "${contentType}" is not documented (documented: ${mediaTypes.join(', ')})`];
    const schemaRef = schemaBase.endsWith('/content') ? `${schemaBase}/${pointerToken(media)}/schema` : schemaBase;
    let value: unknown = facts.body;
    if (JSON_MEDIA.test(media)) {
      try {
        value = JSON.parse(facts.body);
      } catch {
        return [`${where}: body is not JSON although content-type is ${contentType}: ${facts.body.slice(0, 200)}`];
      }
    } else if (media === 'application/x-ndjson') {
      // Each line is one JSON value, checked against the item schema `x-line-schema` when the document names one.
      const lineSchema = this.atOptional(`${schemaRef.replace(/^#/, '')}`)?.['x-line-schema'];
      if (!lineSchema) return [];
      const problems: string[] = [];
      for (const line of facts.body.split('\n').filter(Boolean)) {
        try {
          problems.push(...this.validate(`${schemaRef}/x-line-schema`, JSON.parse(line), where));
        } catch {
          problems.push(`${where}: an NDJSON line is not JSON: ${line.slice(0, 200)}`);
        }
        if (problems.length > 0) break;
      }
      return problems;
    }
    if (!this.atOptional(schemaRef.replace(/^#/, ''))) return [];
    return this.validate(schemaRef, value, where);
  }

  private validate(ref: string, value: unknown, where: string): string[] {
    let validator = this.validators.get(ref);
    if (!validator) {
      validator = this.ajv.compile({ $ref: `${DOCUMENT_ID}${ref}` });
      this.validators.set(ref, validator);
    }
    if (validator(value)) return [];
    const errors = (validator.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    return [`${where}: body does not match ${ref}: ${errors.join('; ')}; body: ${JSON.stringify(value).slice(0, 400)}`];
  }

  private at(pointer: string): Json {
    const found = this.atOptional(pointer);
    if (!found) throw new Error(`OpenAPI document has nothing at ${pointer}`);
    return found;
  }

  private atOptional(pointer: string): Json | undefined {
    let node: unknown = this.document;
    for (const raw of pointer.split('/').slice(1)) {
      const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (typeof node !== 'object' || node === null) return undefined;
      node = (node as Json)[token];
    }
    return typeof node === 'object' && node !== null ? (node as Json) : undefined;
  }
}

/** On for every test; CONTRACT_CHECK=0 switches it off for one local run while you debug something else. */
export const contractCheckEnabled = (): boolean => process.env['CONTRACT_CHECK'] !== '0';

let shared: Contract | undefined;

/** The document compiled once per process (tap runs each file in its own process). */
export function sharedContract(): Contract {
  shared ??= new Contract(loadOpenApiDocument());
  return shared;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

/**
 * Every `METHOD /path` among routes seen by Fastify's onRoute hook, in OpenAPI path syntax. The HEAD routes
 * Fastify adds beside GET ones are left out (the GET operation describes them).
 */
export function servedOperations(routes: Array<Pick<RouteOptions, 'method' | 'url'>>): Set<string> {
  const ops = new Set<string>();
  const all = routes.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).map((m) => ({ method: String(m).toUpperCase(), url: r.url })));
  for (const { method, url } of all) {
    if (method === 'HEAD' && all.some((o) => o.method === 'GET' && o.url === url)) continue;
    ops.add(`${method} ${openApiPathOf(url)}`);
  }
  return ops;
}

const routeOf = new WeakMap<object, { route: string | undefined; method: string }>();

/**
 * Makes every `app.inject()` answer checked against the document: a response that breaks it rejects the
 * inject promise with a ContractViolation naming the route, the status and what is wrong.
 */
export function installContractCheck(app: FastifyInstance, contract: Contract = sharedContract()): void {
  app.addHook('onSend', async (request, reply, payload) => {
    routeOf.set(reply.raw, { route: request.routeOptions.url, method: request.method });
    return payload;
  });

  const verify = (res: LightMyRequestResponse): LightMyRequestResponse => {
    const seen = routeOf.get(res.raw.res);
    // No onSend (e.g. Node's parser refused the request before Fastify saw it): nothing Fastify routed.
    if (!seen) return res;
    const problems = contract.check({
      method: seen.method,
      route: seen.route,
      url: res.raw.req.url ?? '',
      status: res.statusCode,
      headers: res.headers,
      body: res.payload,
    });
    if (problems.length > 0) throw new ContractViolation(`response breaks openapi/portal-provisioning.yaml:\n  ${problems.join('\n  ')}`);
    return res;
  };

  const original = app.inject.bind(app) as (opts?: InjectOptions | string) => Promise<LightMyRequestResponse> | LightMyRequestChain;
  const checked = (opts?: InjectOptions | string, callback?: (err: Error | null, res?: LightMyRequestResponse) => void): unknown => {
    if (opts === undefined) {
      const chain = original() as LightMyRequestChain;
      const end = chain.end.bind(chain) as () => Promise<LightMyRequestResponse>;
      (chain as unknown as { end: () => Promise<LightMyRequestResponse> }).end = () => end().then(verify);
      return chain;
    }
    const promise = (original(opts) as Promise<LightMyRequestResponse>).then(verify);
    if (!callback) return promise;
    promise.then((res) => callback(null, res), (err: Error) => callback(err));
    return undefined;
  };
  Object.defineProperty(app, 'inject', { value: checked, configurable: true, writable: true });
}
