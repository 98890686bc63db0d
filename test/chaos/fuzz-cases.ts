/**
 * A seeded generator of hostile requests, one route family at a time. The same seed gives the same requests,
 * so a failure found by `npm run chaos` reproduces with `FUZZ_SEED=<seed>`. Writes are hostile by construction
 * (a required attribute missing, a readOnly or unknown path, a wrong type, broken JSON…): any 2xx to one is
 * a finding.
 */

export type Family = 'scim' | 'oauth' | 'admin' | 'console' | 'operations';

export interface FuzzCase {
  family: Family;
  /** What the case tries, for the report. */
  kind: string;
  method: string;
  /** Raw request target; may hold bytes that are not valid UTF-8 (sent as latin1). */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** A write the server must refuse. */
  write: boolean;
}

export interface FuzzContext {
  scimToken: string;
  adminToken: string;
  tenantId: string;
  userId: string;
  userName: string;
}

/** mulberry32: small, fast, good enough to spread cases; deterministic per seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cursor values no server issued (RFC 9865): garbage, huge, well-formed but unsealed, percent-escaped. */
const CURSORS = ['garbage', 'A', 'A'.repeat(67), `AQ${'_-'.repeat(32)}A`, 'x'.repeat(100_000), '%00', '../../etc', "' or 1=1 --", 'AQAAAGlouqAAAgAGSGpJq-gAI6Zt4s5jQN-b_c6SMY4sum1QMJ5aoTI1kEE6yCPLF7Y'];

const SQLI = [
  `userName eq "x' OR '1'='1"`,
  `userName eq "x\\" or 1=1 --"`,
  `userName eq "'; drop table accounts; --"`,
  `userName eq "a" or 1 eq 1`,
  `userName sw "%"`,
  `userName co "_"`,
  `userName co "\\\\"`,
  `externalId eq 1;select pg_sleep(5)`,
  `userName eq "x" union select * from tenants`,
  `emails[type eq "work" or 1 eq 1].value eq "x"`,
  `userName eq "$$"`,
  `userName eq "x"::text`,
  `meta.created gt "2020-01-01T00:00:00Z' or '1'='1"`,
  `id eq "00000000-0000-0000-0000-000000000000' or tenant_id is not null --"`,
];

const GROUP_FILTERS = [
  `displayName eq "x' or '1'='1"`,
  `members[value eq "x"] or 1 eq 1`,
  `members[display eq "x"]`,
  `members[value gt "a"]`,
  `members[value eq "a"].value eq "b"`,
  `members.display co "x"`,
  `members eq 12`,
  `members[value eq "00000000-0000-0000-0000-000000000000' or tenant_id is not null --"]`,
  `displayName eq`,
  `userName eq "x"`,
];

const BROKEN_FILTERS = [
  `userName eq`,
  `userName eq "unterminated`,
  `(userName eq "a"`,
  `userName eq "a")`,
  `userName zz "a"`,
  `nosuch eq "a"`,
  `name.nosuch eq "a"`,
  `emails[value eq "a"`,
  `emails[type eq "work"].value co "@x"`,
  `not userName eq "a"`,
  `userName pr pr`,
  `and or not`,
  `""`,
  `userName eq "a" and`,
  `meta.created gt "not a date"`,
  `active eq "maybe"`,
  `active eq 12`,
  `userName eq true`,
  `userName gt {"a":1}`,
  `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
];

const ODD = ['\u0000', '\u202e', '\ud800', '\udfff', '\uffff', '\ufeff', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\u0301\u0301\u0301', 'Ａ', 'ß', 'İ', '\r\n', '%00', '%', '\\u0000', '..', '../../etc/passwd', '<script>alert(1)</script>', '${jndi:ldap://x}'];

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

const READONLY_PATHS = ['id', 'meta', 'meta.created', 'meta.lastModified', 'meta.location', 'meta.version', 'meta.resourceType', 'ID', 'Meta.Created'];
const UNKNOWN_PATHS = ['nosuch', 'name.nosuch', 'emails[nosuch eq "x"].value', 'urn:nosuch:Thing:attr', 'password', 'groups', '__proto__', 'constructor.prototype', 'name.__proto__.polluted', 'emails[type eq "work"].value.deeper', 'emails[', ']', '', ' '];

/**
 * Shapes that make a backtracking regex, a parser or a per-item loop work per character (issue 15): each is
 * repeated to the length a case asks for, up to the body limit, in every string position of every route family.
 */
const LONG_UNITS = ['a', 'a ', ' ', '"\\', '\\"', 'emails[', '].a', 'a[].b ', 'eyJ', 'eyJaaaa.', '0', '1', '.', ',', 'userName,', 'emails.value,', '(', '[', 'type eq "work" and ', 'a eq b ', '+00', 'W/"1",', '\u001b[', '\u009b', 'é', '%', '=', 'ppadm_'];

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD instead of throwing). */
const enc = (text: string): string =>
  [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');

export class FuzzGenerator {
  private readonly next: () => number;

  constructor(
    readonly seed: number,
    private readonly ctx: FuzzContext,
    /** BODY_LIMIT_BYTES of the service: long bodies are sized to stay just under it. */
    private readonly bodyLimitBytes = 1024 * 1024,
  ) {
    this.next = random(seed);
  }

  /** One of the long shapes, repeated to one of a few sizes up to `max` characters. */
  private longText(max: number): string {
    const size = Math.min(max, this.pick([1_000, 10_000, 100_000, 1_000_000]));
    const unit = this.pick(LONG_UNITS);
    return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  }

  /** A JSON body around a long text, halved until it fits under the body limit (JSON escaping may grow it). */
  private longBody(make: (text: string) => unknown, limit = this.bodyLimitBytes - 1024): Buffer {
    let text = this.longText(limit);
    let body = Buffer.from(JSON.stringify(make(text)));
    while (body.length > limit && text.length > 1) {
      text = text.slice(0, Math.floor(text.length / 2));
      body = Buffer.from(JSON.stringify(make(text)));
    }
    return body;
  }

  /** A long text percent-encoded for a URL, kept under MAX_HEADER_BYTES with the other headers (16 KiB). */
  private longQuery(limit = 12_000): string {
    let text = this.longText(limit);
    let encoded = enc(text);
    while (encoded.length > limit && text.length > 1) {
      text = text.slice(0, Math.floor(text.length / 2));
      encoded = enc(text);
    }
    return encoded;
  }

  private int(n: number): number {
    return Math.floor(this.next() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  private chance(p: number): boolean {
    return this.next() < p;
  }

  private scim(): Record<string, string> {
    return { authorization: `Bearer ${this.ctx.scimToken}`, 'content-type': this.pick(['application/scim+json', 'application/json', 'application/scim+json; charset=utf-8']) };
  }

  private admin(): Record<string, string> {
    return { authorization: `Bearer ${this.ctx.adminToken}`, 'content-type': 'application/json' };
  }

  /** Something of the wrong type for any field. */
  private wrongValue(depth = 0): unknown {
    switch (this.int(depth > 2 ? 8 : 11)) {
      case 0: return null;
      case 1: return this.int(2) === 0 ? 12345 : -1e308;
      case 2: return this.chance(0.5);
      case 3: return 'x'.repeat(depth > 0 ? this.pick([0, 1, 300]) : this.pick([0, 1, 300, 5000, 70_000]));
      case 4: return this.pick(ODD).repeat(1 + this.int(50));
      case 5: return [];
      case 6: return {};
      case 7: return Number.MAX_SAFE_INTEGER;
      case 8: return Array.from({ length: depth > 0 ? this.pick([2, 5]) : this.pick([2, 50, 5000]) }, () => (depth > 0 ? this.int(9) : this.wrongValue(depth + 1)));
      case 9: return Object.fromEntries(PROTO_KEYS.map((k) => [k, this.wrongValue(depth + 1)]));
      default: return { value: this.wrongValue(depth + 1), [this.pick(PROTO_KEYS)]: { polluted: true } };
    }
  }

  private deep(levels: number, array: boolean): string {
    return array ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  }

  /** A JSON text made hostile: truncated, deeply nested, with prototype keys, or not JSON at all. */
  private breakJson(valid: unknown): Buffer {
    const text = JSON.stringify(valid);
    switch (this.int(9)) {
      case 0: return Buffer.from(text.slice(0, this.int(text.length)));
      case 1: return Buffer.from(this.deep(this.pick([100, 1000, 20_000]), this.chance(0.5)));
      case 2: return Buffer.from(text.replace(/^\{/, `{"__proto__":{"isAdmin":true,"userName":"p"},"constructor":{"prototype":{"polluted":1}},`));
      case 3: return Buffer.concat([Buffer.from(text.slice(0, 20)), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), Buffer.from(text.slice(20))]);
      case 4: return Buffer.from(`${text},${text}`);
      case 5: return Buffer.from(this.pick(['', ' ', 'null', 'true', '"string"', '123', '[]', 'NaN', '{', '}', '{"a":1,}', "{'a':1}", '\u0000']));
      case 6: return Buffer.from(text.replace(/"/g, this.pick(["'", '', '\\"'])));
      case 7: return Buffer.from(`\ufeff${text}`);
      default: return Buffer.from(JSON.stringify({ ...(valid as object), big: 'y'.repeat(this.pick([10_000, 900_000])) }).slice(0, -2));
    }
  }

  /** A create that lacks a required attribute or has a wrong type, plus noise. */
  private hostileUser(replacing = false): unknown {
    const user: Record<string, unknown> = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: `fuzz-${this.int(1e9)}@example.test`,
      active: true,
      name: { givenName: 'Fuzz', familyName: 'Case' },
    };
    // Always break something a portal account needs: a required attribute missing, of the wrong type, empty, or
    // a duplicate userName; the noise added after that never makes it valid.
    // For a PUT onto the seed user its own userName is no duplicate, so PUTs never use that break.
    let breakWith = this.int(5);
    if (replacing && breakWith === 3) breakWith = 0;
    if (breakWith === 0) delete user[this.pick(['userName', 'active', 'name'])];
    else if (breakWith === 1) user[this.pick(['userName', 'active', 'name'])] = this.pick([null, 42, [], {}, '', { value: 'x' }]);
    else if (breakWith === 2) (user['name'] as Record<string, unknown>)[this.pick(['givenName', 'familyName'])] = this.pick([null, 42, [], {}, '']);
    else if (breakWith === 3) user['userName'] = this.ctx.userName.toUpperCase(); // duplicate, case-insensitively: 409
    else {
      delete user['userName'];
      user['userName '] = 'x';
    }
    if (this.chance(0.2)) user['schemas'] = this.pick([[], ['urn:nosuch'], null]);
    if (this.chance(0.3)) user[this.pick(PROTO_KEYS)] = { polluted: true, userName: 'admin' };
    if (this.chance(0.2)) user['id'] = this.wrongValue();
    return user;
  }

  private patchBody(): unknown {
    const op = (): Record<string, unknown> => {
      const kind = this.int(7);
      if (kind === 0) return { op: this.pick(['replace', 'Replace', 'add', 'remove']), path: this.pick(READONLY_PATHS), value: this.wrongValue() };
      if (kind === 1) return { op: this.pick(['replace', 'add']), path: this.pick(UNKNOWN_PATHS), value: 'x' };
      if (kind === 2) return { op: this.pick(['frobnicate', '', 'REPLACEALL', null, 7, 'test', 'move', 'copy']), path: 'displayName', value: 'x' };
      if (kind === 3) return { op: 'replace', value: { id: 'new-id', meta: { created: 'x' }, [this.pick(PROTO_KEYS)]: { polluted: true } } };
      if (kind === 4) return { op: 'replace', path: this.pick(['active', 'userName', 'name.givenName']), value: this.pick([null, {}, [], 12, { value: 1 }]) };
      if (kind === 5) return { op: 'remove', path: this.pick(['userName', 'active', 'name.givenName', 'name.familyName', 'name']) };
      return { op: 'add', path: 'emails[type eq "work"].value', value: this.wrongValue() };
    };
    const count = this.pick([1, 1, 2, 3, 50, 2000]);
    const body: Record<string, unknown> = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: Array.from({ length: count }, op) };
    // Ensure the whole PATCH is refused: the last operation always aims at a readOnly attribute.
    (body['Operations'] as unknown[]).push({ op: 'replace', path: this.pick(READONLY_PATHS), value: 'x' });
    if (this.chance(0.15)) body['Operations'] = this.pick([{}, 'replace', null, 42]);
    if (this.chance(0.1)) body['schemas'] = this.pick([[], ['urn:nosuch'], null]);
    return body;
  }

  private usersTarget(): string {
    return this.pick(['/scim/v2', `/scim/v2/tenants/${this.ctx.tenantId}`]);
  }

  private scimCase(): FuzzCase {
    const base = this.usersTarget();
    const id = this.ctx.userId;
    switch (this.int(14)) {
      case 11:
      case 12:
        return this.groupCase(base);
      case 0:
      case 1: {
        const filter = this.chance(0.5) ? this.pick(SQLI) : this.chance(0.5) ? this.pick(BROKEN_FILTERS) : this.pick([
          `userName eq "${this.pick(ODD)}"`,
          `${'('.repeat(this.pick([40, 500, 6000]))}userName eq "a"${')'.repeat(this.pick([40, 500, 6000]))}`,
          `userName eq "${'a'.repeat(this.pick([3000, 100_000]))}"`,
          Array.from({ length: this.pick([100, 1000]) }, (_, i) => `userName eq "u${i}"`).join(' or '),
          `not (${'not ('.repeat(60)}userName pr${')'.repeat(60)})`,
        ]);
        const raw = this.chance(0.1);
        const q = raw ? filter.replace(/ /g, '%20').replace(/"/g, '%22') + this.pick(['%', '%zz', '%c3%28', '%ff%fe', '%00']) : enc(filter);
        const extra = this.chance(0.3) ? `&${this.pick(['startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'cursor'])}=${enc(String(this.pick(['-1', '0', 'abc', '1e309', '99999999999999999999', 'nosuch', 'userName,__proto__', '', '1.5', 'constructor', ...CURSORS])))}` : '';
        // RFC 9865 cursors: made up, huge, of the right length but not sealed by this server, mixed with startIndex.
        if (this.chance(0.15)) return { family: 'scim', kind: 'cursor', method: 'GET', target: `${base}/Users?cursor=${enc(this.pick(CURSORS))}${this.pick(['', '&count=2', '&startIndex=1', '&sortBy=userName', `&filter=${q}`])}`, headers: this.scim(), write: false };
        return { family: 'scim', kind: 'filter', method: 'GET', target: `${base}/Users?filter=${q}${extra}`, headers: this.scim(), write: false };
      }
      case 2:
        return { family: 'scim', kind: 'search body', method: 'POST', target: `${base}/Users/.search`, headers: this.scim(), write: false, body: this.chance(0.5) ? this.breakJson({ filter: this.pick(SQLI) }) : Buffer.from(JSON.stringify({ filter: this.wrongValue(), startIndex: this.wrongValue(), count: this.wrongValue(), attributes: this.wrongValue(), cursor: this.chance(0.5) ? this.wrongValue() : this.pick(CURSORS) })) };
      case 3:
      case 4:
        return { family: 'scim', kind: 'create', method: 'POST', target: `${base}/Users`, headers: this.scim(), write: true, body: this.chance(0.4) ? this.breakJson(this.hostileUser()) : Buffer.from(JSON.stringify(this.hostileUser())) };
      case 5:
      case 6:
        return { family: 'scim', kind: 'patch', method: 'PATCH', target: `${base}/Users/${id}`, headers: this.scim(), write: true, body: this.chance(0.3) ? this.breakJson(this.patchBody()) : Buffer.from(JSON.stringify(this.patchBody())) };
      case 7:
        return { family: 'scim', kind: 'put', method: 'PUT', target: `${base}/Users/${id}`, headers: this.scim(), write: true, body: this.chance(0.3) ? this.breakJson(this.hostileUser(true)) : Buffer.from(JSON.stringify(this.hostileUser(true))) };
      case 8: {
        const weird = this.pick([`${id}x`, '00000000-0000-0000-0000-000000000000', 'not-a-uuid', enc(this.pick(ODD)), "1'or'1'='1", '%c3%28', 'a'.repeat(300), '..%2F..%2Fetc', '%00']);
        const method = this.pick(['GET', 'DELETE', 'PATCH', 'PUT']);
        return { family: 'scim', kind: 'unknown id', method, target: `${base}/Users/${weird}`, headers: this.scim(), write: method !== 'GET', body: method === 'GET' || method === 'DELETE' ? undefined : Buffer.from(JSON.stringify(this.patchBody())) };
      }
      case 9: {
        const headers = { ...this.scim() };
        headers['authorization'] = this.pick([
          'Bearer',
          'Bearer ',
          'Basic Zm9vOmJhcg==',
          `Bearer ${'a'.repeat(8000)}`,
          'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
          `Bearer ${this.ctx.scimToken}x`,
          `bearer ${this.ctx.scimToken.slice(0, -1)}`,
          `Bearer ${this.ctx.adminToken}`,
          'Bearer a.b.c',
          'Bearer \u00ff\u00fe',
        ]);
        return { family: 'scim', kind: 'bad credential', method: this.pick(['GET', 'POST', 'DELETE']), target: `${base}/Users${this.chance(0.5) ? `/${id}` : ''}`, headers, write: true, body: Buffer.from(JSON.stringify(this.hostileUser())) };
      }
      case 10: {
        const headers: Record<string, string> = { ...this.scim(), 'content-type': this.pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/scim+json; charset=latin1', '', 'application/json, text/html', '*/*']) };
        if (this.chance(0.3)) headers['if-match'] = this.pick(['W/"0"', '*', 'garbage', '"1"', 'W/"99999999999999999999"']);
        // A PUT onto the seed user takes a break other than its own userName (hostileUser(true)), as in case 7.
        const method = this.pick(['POST', 'PUT', 'PATCH']);
        return { family: 'scim', kind: 'content type and preconditions', method, target: `${base}/Users${this.chance(0.5) ? `/${id}` : ''}`, headers, write: true, body: Buffer.from(JSON.stringify(this.hostileUser(method === 'PUT'))) };
      }
      default: {
        const path = this.pick(['/ServiceProviderConfig', '/ResourceTypes/Group', `/ResourceTypes/${enc(this.pick(ODD))}`, '/Schemas/urn:nosuch', '/Groups', '/Bulk', '/Me', '/Users/.search', '/ResourceTypes/User']);
        const method = this.pick(['GET', 'POST', 'DELETE', 'PUT', 'OPTIONS', 'TRACE', 'PROPFIND']);
        // POST /Users/.search is a query (RFC 7644 §3.4.3), not a write: an empty SearchRequest may list users.
        const write = method !== 'GET' && method !== 'OPTIONS' && !(method === 'POST' && path === '/Users/.search');
        return { family: 'scim', kind: 'discovery and methods', method, target: `${base}${path}`, headers: this.scim(), write, body: method === 'GET' ? undefined : this.breakJson({}) };
      }
    }
  }

  /** SCIM /Groups (issue 17): hostile filters, bodies and PATCHes; every write here must be refused. */
  private groupCase(base: string): FuzzCase {
    const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
    const user = this.ctx.userId;
    switch (this.int(4)) {
      case 0: {
        const filter = this.pick([
          ...GROUP_FILTERS,
          `members[value eq "${user}' or '1'='1"]`,
          Array.from({ length: this.pick([100, 1000]) }, (_, i) => `members[value eq "u${i}"]`).join(' or '),
        ]);
        return { family: 'scim', kind: 'group filter', method: 'GET', target: `${base}/Groups?filter=${enc(filter)}&excludedAttributes=${enc(this.pick(['members', 'members.value', 'userName', '']))}`, headers: this.scim(), write: false };
      }
      case 1: {
        // Each body breaks one rule: no displayName, a wrong type, a member who is no user here, a nested group.
        const body = this.pick<unknown>([
          { schemas: [GROUP] },
          { schemas: [GROUP], displayName: this.pick<unknown>([null, 12345, true, [], {}, '', '   ', ['x']]) },
          { schemas: [GROUP], displayName: 'x'.repeat(300) },
          { schemas: [GROUP], displayName: `g-${this.int(1e9)}`, members: [{ value: this.pick(ODD) }] },
          { schemas: [GROUP], displayName: `g-${this.int(1e9)}`, members: [{ value: user, type: 'Group' }] },
          { schemas: [GROUP], displayName: `g-${this.int(1e9)}`, members: this.pick<unknown>(['x', 12345, [12], [{}], [{ value: 5 }], [null]]) },
          { schemas: [GROUP], displayName: `g-${this.int(1e9)}`, members: Array.from({ length: 2000 }, () => ({ value: '00000000-0000-4000-8000-000000000000' })) },
          { schemas: ['urn:nosuch'], displayName: 'x' },
        ]);
        return { family: 'scim', kind: 'group create', method: 'POST', target: `${base}/Groups`, headers: this.scim(), write: true, body: this.chance(0.3) ? this.breakJson(body) : Buffer.from(JSON.stringify(body)) };
      }
      case 2: {
        const op = this.pick(['Add', 'Remove', 'Replace', 'add', 'move']);
        const body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [this.pick<unknown>([
          { op, path: 'members', value: [{ value: this.pick(ODD) }] },
          { op, path: `members[value eq "${this.pick(ODD)}"]` },
          { op, path: 'members[display eq "x"]' },
          { op, path: this.pick(['id', 'meta.version', 'members.value', 'nosuch', `members[${'('.repeat(200)}`]), value: 'x' },
          { op, value: { displayName: this.wrongValue() } },
          { op, path: 'members', value: Array.from({ length: 5000 }, () => ({ value: user })) },
        ])] };
        const id = this.pick([user, '00000000-0000-0000-0000-000000000000', 'not-a-uuid']);
        return { family: 'scim', kind: 'group patch', method: 'PATCH', target: `${base}/Groups/${id}`, headers: this.scim(), write: true, body: this.chance(0.3) ? this.breakJson(body) : Buffer.from(JSON.stringify(body)) };
      }
      default: {
        const method = this.pick(['PUT', 'DELETE']);
        const id = this.pick([user, `${user}x`, '%00', 'a'.repeat(300)]);
        return { family: 'scim', kind: 'group unknown id', method, target: `${base}/Groups/${id}`, headers: this.scim(), write: true, body: method === 'PUT' ? Buffer.from(JSON.stringify({ schemas: [GROUP], displayName: 'x' })) : undefined };
      }
    }
  }

  private oauthCase(): FuzzCase {
    const form = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString());
    const headers: Record<string, string> = { 'content-type': this.pick(['application/x-www-form-urlencoded', 'application/json', 'text/plain', 'application/x-www-form-urlencoded; charset=utf-8']) };
    if (this.chance(0.4)) {
      headers['authorization'] = this.pick(['Basic', 'Basic !!!', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Basic ' + Buffer.from(`${'%'.repeat(50)}:%zz`).toString('base64'), 'Basic ' + 'A'.repeat(7000), 'Bearer x', 'Basic ' + Buffer.from('client:secret').toString('base64')]);
    }
    const body = this.pick([
      () => form({ grant_type: this.pick(['client_credentials', 'password', 'authorization_code', '', 'CLIENT_CREDENTIALS']), client_id: this.pick(['', 'nosuch', this.pick(ODD), 'x'.repeat(3000)]), client_secret: this.pick(['', 'x', 'y'.repeat(5000)]), scope: this.pick(['scim', 'admin', 'scim admin', '', this.pick(ODD)]) }),
      () => form({ client_id: 'a', client_secret: 'b' }),
      () => Buffer.from('grant_type=client_credentials&grant_type=client_credentials&client_id=a&client_id=b'),
      () => Buffer.from(`grant_type=client_credentials&client_id=%zz&client_secret=%`),
      () => Buffer.from(JSON.stringify({ grant_type: this.wrongValue(), client_id: this.wrongValue(), client_secret: this.wrongValue(), ['__proto__']: { admin: true } })),
      () => this.breakJson({ grant_type: 'client_credentials' }),
      () => Buffer.from('a='.repeat(this.pick([10, 5000]))),
      () => Buffer.alloc(this.pick([9000, 70_000]), 0x61),
    ])();
    return { family: 'oauth', kind: 'token request', method: this.pick(['POST', 'POST', 'POST', 'GET', 'PUT']), target: this.pick(['/oauth2/token', '/oauth2/token?grant_type=client_credentials', '/oauth2/authorize', '/oauth2/token/']), headers, body, write: true };
  }

  private adminCase(): FuzzCase {
    const q = this.pick(['from', 'to', 'tenant', 'outcome', 'operation', 'userName', 'externalId', 'userId', 'requestId', 'cursor', 'limit', 'format', 'nosuch', '__proto__', 'constructor', 'actor', 'action', 'target']);
    const v = enc(String(this.pick(['', 'x', '-1', '0', '1e9', '2026-13-45T99:99:99Z', 'now', "' or 1=1 --", 'a'.repeat(5000), this.pick(ODD), '00000000-0000-0000-0000-000000000000', 'eyJpZCI6Ii0xIn0', 'true', '[object Object]'])));
    const headers = this.chance(0.85) ? this.admin() : { authorization: this.pick(['', 'Bearer', `Bearer ${this.ctx.scimToken}`, 'Bearer x'.repeat(50), 'Basic YTpi']), 'content-type': 'application/json' };
    const paths = ['/admin/v1/provisioning-logs', '/admin/v1/provisioning-logs/export', '/admin/v1/provisioning-logs/summary', `/admin/v1/provisioning-logs/${enc(this.pick(['-1', 'x', '99999999999999999999', '1 or 1=1', '0']))}`, '/admin/v1/audit', '/admin/v1/audit/export'];
    if (this.chance(0.25)) return this.portalDataCase(headers, v);
    if (this.chance(0.6)) {
      const repeat = this.chance(0.2) ? `&${q}=${v}` : '';
      return { family: 'admin', kind: 'log query', method: 'GET', target: `${this.pick(paths)}?${q}=${v}${repeat}`, headers, write: false };
    }
    const nc = this.pick([
      ['PUT', '/admin/v1/ncentral/connection'],
      ['PATCH', '/admin/v1/ncentral/connection'],
      ['POST', '/admin/v1/ncentral/customers/1/match'],
      ['POST', `/admin/v1/ncentral/customers/${this.pick(['x', '-1', '1'.repeat(30), '%00'])}/exclude`],
      ['POST', '/admin/v1/ncentral/customers/7/create'],
      ['POST', '/admin/v1/ncentral/verify'],
      ['POST', '/admin/v1/ncentral/finish?wait=maybe'],
      ['POST', '/admin/v1/ncentral/sync'],
      ['GET', `/admin/v1/ncentral/runs/${this.pick(['x', '00000000-0000-0000-0000-000000000000', '%ff'])}`],
      ['GET', '/admin/v1/ncentral/customers?refresh=yes'],
      ['DELETE', '/admin/v1/ncentral/connection'],
      // Portal roles (issue 17): hostile rule bodies and ids.
      ['POST', '/admin/v1/role-rules'],
      ['PUT', '/admin/v1/role-rules/default'],
      ['GET', `/admin/v1/role-rules/${this.pick(['x', '00000000-0000-0000-0000-000000000000', '%ff'])}`],
      ['DELETE', `/admin/v1/role-rules/${this.pick(['x', '00000000-0000-0000-0000-000000000000', '%00'])}`],
    ] as const);
    const body = this.chance(0.5)
      ? this.breakJson({ url: 'http://example.test', token: 'x' })
      : Buffer.from(JSON.stringify({ url: this.pick(['http://insecure.test', 'file:///etc/passwd', 'https://127.0.0.1:1', 'javascript:alert(1)', this.wrongValue()]), token: this.pick([null, 12, [], {}, true]), caPem: this.wrongValue(), deviceSync: this.wrongValue(), portalClientId: this.wrongValue(), syncTime: this.pick(['25:00', 'x', null]), matchBy: this.pick(['displayName', 'email', null]), value: this.pick(['a\u0000b', '', ' ', 'x'.repeat(300), this.wrongValue()]), role: this.pick(['owner', 'Admin', 'read_only', 7, null]), extra: 1 }));
    return { family: 'admin', kind: 'ncentral', method: nc[0], target: `${nc[1]}${this.chance(0.3) ? `${nc[1].includes('?') ? '&' : '?'}tenant=${this.pick(['x', '00000000-0000-0000-0000-000000000000'])}` : ''}`, headers, write: nc[0] !== 'GET', body: nc[0] === 'GET' ? undefined : body };
  }

  /** The portal data routes (issue 13): clients, assets (+export, changes), accounts and a run's changes. */
  private portalDataCase(headers: Record<string, string>, v: string): FuzzCase {
    const id = enc(this.pick(['x', '-1', '00000000-0000-0000-0000-000000000000', '%ff', '1 or 1=1', 'a'.repeat(300)]));
    const path = this.pick([
      '/admin/v1/clients',
      '/admin/v1/assets',
      '/admin/v1/assets/export',
      '/admin/v1/accounts',
      `/admin/v1/clients/${id}`,
      `/admin/v1/assets/${id}`,
      `/admin/v1/assets/${id}/changes`,
      `/admin/v1/accounts/${id}`,
      `/admin/v1/ncentral/runs/${id}/changes`,
    ]);
    const q = this.pick(['tenant', 'client', 'search', 'source', 'deviceClass', 'os', 'removed', 'changedSince', 'cursor', 'limit', 'format', 'nosuch', '__proto__']);
    const repeat = this.chance(0.2) ? `&${q}=${v}` : '';
    return { family: 'admin', kind: 'portal data query', method: this.pick(['GET', 'GET', 'GET', 'POST', 'DELETE']), target: `${path}?${q}=${v}${repeat}`, headers, write: false };
  }

  private consoleCase(): FuzzCase {
    const cookie = this.pick(['', 'pp_session=garbage', `pp_session=${'a'.repeat(4000)}`, 'pp_session=s%3Aabc.def', 'pp_session=%ff%fe', '__proto__=1; constructor=2']);
    const headers: Record<string, string> = { 'content-type': this.pick(['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json']) };
    if (cookie) headers['cookie'] = cookie;
    const target = this.pick(['/console', '/console/', '/console/sign-in', '/console/sign-in/token', '/console/sign-out', '/console/tenants', '/console/users?q=%ff', '/console/logs?from=x&operation=%00', '/console/logs/-1', '/console/logs/export?format=exe', '/console/assets/../../package.json', '/console/assets/x.css', '/console/nosuch', '/console/inventory/clients?search=%ff&cursor=x', '/console/inventory/assets?changedSince=x&removed=%00&client=../1', '/console/inventory/assets/-1', '/console/inventory/assets/export?format=exe&search=%00', '/console/ncentral/runs/00000000-0000-4000-8000-000000000000?cursor=%ff', '/console/setup', '/console/setup?code=x', `/console/setup?code=${'a'.repeat(3000)}`, '/console/setup?code=%ff', '/console/tenants/create', '/console/tenants/rename', '/console/tenants/disable', '/console/tenants/enable', '/console/roles', '/console/roles/rules', '/console/roles/rules/delete', '/console/roles/default', '/console/audit?cursor=%ff&from=x&action=%00&target=%00', '/console/audit?scope=service&outcome=maybe']);
    const post = target === '/console/sign-in/token' || target === '/console/sign-out' || target.startsWith('/console/tenants') || this.chance(0.2);
    return {
      family: 'console',
      kind: post ? 'form without CSRF' : 'page',
      method: post ? 'POST' : 'GET',
      target,
      headers,
      write: post,
      body: post ? Buffer.from(this.pick([`token=${enc(this.pick(['', 'x', this.ctx.scimToken, 'a'.repeat(3000)]))}&next=${enc(this.pick(['/console/logs', 'https://evil.test', '//evil.test', 'javascript:alert(1)']))}`, `csrf=forged&tenant=${this.ctx.tenantId}`, '%%%', 'a=1&'.repeat(3000)])) : undefined,
    };
  }

  private operationsCase(): FuzzCase {
    const target = this.pick(['/healthz?x=%ff', '/readyz', '/metrics', '/openapi.json', '/docs', '/nosuch', '/%2e%2e/%2e%2e/etc/passwd', '/' + 'a'.repeat(5000), '//scim//v2//Users', '/SCIM/V2/USERS', '/scim/v2/Users%00', '/.well-known/jwks.json?kid=%00', '/.well-known/oauth-authorization-server/x']);
    const method = this.pick(['GET', 'GET', 'POST', 'DELETE', 'PUT']);
    const headers: Record<string, string> = {};
    if (target === '/metrics' && this.chance(0.5)) headers['authorization'] = 'Bearer wrong';
    return { family: 'operations', kind: 'operations', method, target, headers, write: method !== 'GET', body: method === 'GET' ? undefined : this.breakJson({ a: 1 }) };
  }

  /** Long inputs in each string position of each route family: the class of finding 1 of issue 15. */
  private longCase(): FuzzCase {
    const base = this.usersTarget();
    const id = this.ctx.userId;
    const readOnlyLast = { op: 'replace', path: 'meta.created', value: 'x' };
    switch (this.int(12)) {
      case 0: {
        // PATCH paths and attribute keys: the value-path parser and the filter canonicaliser see them.
        const shape = this.int(6);
        const body = this.longBody((t) => {
          const first =
            shape === 0 ? { op: 'replace', path: `emails[${t}]`, value: 'x' }
            : shape === 1 ? { op: 'replace', path: t, value: 'x' }
            : shape === 2 ? { op: 'add', path: `emails[type eq "${t}"].value`, value: 'x' }
            : shape === 3 ? { op: 'remove', path: `emails[${t}].value` }
            : shape === 4 ? { op: 'replace', value: { [t]: 'x' } }
            : { op: 'replace', path: this.pick(['displayName', 'emails', 'name.givenName', 'active', 'manager']), value: t };
          return { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [first, readOnlyLast] };
        });
        return { family: 'scim', kind: 'long PATCH', method: 'PATCH', target: `${base}/Users/${id}`, headers: this.scim(), write: true, body };
      }
      case 1:
      case 2: {
        // A SearchRequest body: filter, attributes (string or array), excludedAttributes, sortBy, sortOrder, startIndex, count.
        const field = this.pick(['filter', 'attributes', 'attributes[]', 'excludedAttributes', 'excludedAttributes[]', 'sortBy', 'sortOrder', 'startIndex', 'count', 'cursor']);
        const body = this.longBody((t) => {
          const name = field.replace('[]', '');
          const value = field.endsWith('[]') ? t.split(',').slice(0, 70_000) : t;
          return { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], [name]: value, count: this.pick([1, 1000]) };
        });
        return { family: 'scim', kind: `long search ${field}`, method: 'POST', target: `${base}/Users/.search`, headers: this.scim(), write: false, body };
      }
      case 3: {
        const param = this.pick(['filter', 'attributes', 'excludedAttributes', 'sortBy', 'sortOrder', 'startIndex', 'count', 'cursor']);
        const one = this.chance(0.3);
        const target = one ? `${base}/Users/${id}?${this.pick(['attributes', 'excludedAttributes'])}=${this.longQuery()}` : `${base}/Users?${param}=${this.longQuery()}`;
        return { family: 'scim', kind: `long query ${one ? 'attributes of one user' : param}`, method: 'GET', target, headers: this.scim(), write: false };
      }
      case 4: {
        // Creates and replaces stay hostile (hostileUser breaks a required attribute); the long text is extra.
        const put = this.chance(0.4);
        const field = this.pick(['externalId', 'displayName', 'title', 'nickName', 'emails', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'schemas']);
        const user = this.hostileUser(put) as Record<string, unknown>;
        const body = this.longBody((t) => ({
          ...user,
          [field]: field === 'emails' ? [{ type: 'work', value: t }] : field === 'schemas' ? [t] : field.startsWith('urn:') ? { manager: { value: t } } : t,
        }));
        return { family: 'scim', kind: `long ${put ? 'PUT' : 'create'} ${field}`, method: put ? 'PUT' : 'POST', target: put ? `${base}/Users/${id}` : `${base}/Users`, headers: this.scim(), write: true, body };
      }
      case 5: {
        // Headers that reach a parser: If-Match / If-None-Match lists and the request id (under MAX_HEADER_BYTES).
        const name = this.pick(['if-match', 'if-none-match', 'client-request-id', 'x-request-id']);
        const method = this.pick(['GET', 'PATCH']);
        const headers = { ...this.scim(), [name]: this.longText(8_000).replace(/[^\x20-\x7e]/g, 'a') };
        return { family: 'scim', kind: `long header ${name}`, method, target: `${base}/Users/${id}`, headers, write: method === 'PATCH', body: method === 'PATCH' ? Buffer.from(JSON.stringify(this.patchBody())) : undefined };
      }
      case 6: {
        // The token endpoint's own body limit is 8 KiB: long values up to it, in each form field and in Basic.
        const field = this.pick(['grant_type', 'client_id', 'client_secret', 'scope', 'basic']);
        const text = this.longText(7_000);
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
        const fields: Record<string, string> = { grant_type: 'client_credentials', client_id: 'nosuch', client_secret: 'x' };
        if (field === 'basic') headers['authorization'] = `Basic ${this.chance(0.5) ? Buffer.from(`${text}:${text}`).toString('base64').slice(0, 12_000) : text.replace(/[^\x21-\x7e]/g, 'A')}`;
        else fields[field] = text;
        let body = Buffer.from(new URLSearchParams(field === 'basic' ? { grant_type: 'client_credentials' } : fields).toString());
        if (body.length > 8 * 1024) body = body.subarray(0, 8 * 1024);
        return { family: 'oauth', kind: `long token ${field}`, method: 'POST', target: '/oauth2/token', headers, body, write: true };
      }
      case 7: {
        const q = this.pick(['from', 'to', 'tenant', 'outcome', 'operation', 'userName', 'externalId', 'userId', 'requestId', 'cursor', 'limit', 'format', 'actor', 'action', 'target']);
        const path = this.pick(['/admin/v1/provisioning-logs', '/admin/v1/provisioning-logs/export', '/admin/v1/provisioning-logs/summary', '/admin/v1/audit', '/admin/v1/audit/export']);
        return { family: 'admin', kind: `long log query ${q}`, method: 'GET', target: `${path}?${q}=${this.longQuery()}`, headers: this.admin(), write: false };
      }
      case 8: {
        // N-central settings: a token that is an object (no coercion makes it text) keeps every write refused whatever the long field holds.
        const field = this.pick(['url', 'caPem', 'syncTime', 'timeZone', 'portalClientId', 'deviceSync']);
        const [method, target] = this.pick([['PUT', '/admin/v1/ncentral/connection'], ['PATCH', '/admin/v1/ncentral/connection'], ['POST', '/admin/v1/ncentral/customers/1/match']] as const);
        const body = this.longBody((t) => ({ url: 'https://ncentral.example.test', token: {}, [field]: t }));
        return { family: 'admin', kind: `long ncentral ${field}`, method, target, headers: this.admin(), write: true, body };
      }
      case 9: {
        const field = this.pick(['token', 'next', 'csrf', 'tenant', 'q']);
        const text = this.longText(this.bodyLimitBytes / 4);
        const post = field !== 'q';
        const target = post ? this.pick(['/console/sign-in/token', '/console/sign-out', '/console/tenants', '/console/setup', '/console/tenants/rename']) : `/console/${this.pick(['users', 'logs', 'inventory/clients', 'inventory/assets', 'audit'])}?${this.pick(['q', 'userName', 'from', 'to', 'operation', 'search', 'cursor', 'actor', 'target'])}=${this.longQuery()}`;
        return { family: 'console', kind: `long console ${field}`, method: post ? 'POST' : 'GET', target, headers: { 'content-type': 'application/x-www-form-urlencoded' }, write: post, body: post ? Buffer.from(`${field}=${enc(text)}`.slice(0, this.bodyLimitBytes - 1024)) : undefined };
      }
      default: {
        const target = this.pick([`/healthz?x=${this.longQuery()}`, `/.well-known/jwks.json?kid=${this.longQuery()}`, `/${this.longQuery(8_000)}`, `/scim/v2/tenants/${this.longQuery(8_000)}/Users`, `/scim/v2/Users/${this.longQuery(8_000)}`]);
        return { family: 'operations', kind: 'long path or query', method: 'GET', target, headers: target.startsWith('/scim') ? this.scim() : {}, write: false };
      }
    }
  }

  /** The next case; families weighted toward SCIM, the surface Entra (and any attacker holding its URL) hits. */
  nextCase(): FuzzCase {
    const roll = this.next();
    if (roll < 0.08) return this.longCase();
    if (roll < 0.5) return this.scimCase();
    if (roll < 0.62) return this.oauthCase();
    if (roll < 0.8) return this.adminCase();
    if (roll < 0.92) return this.consoleCase();
    return this.operationsCase();
  }
}
