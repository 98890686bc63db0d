/**
 * Every regex in src/ that sees text from outside (SCIM, OAuth, admin and console requests, the CLI, the
 * provisioning log, N-central answers) is fed 1 MiB of its worst case through the real code path and must
 * finish in well under 100 ms of CPU: a pattern that backtracks per position would take minutes (issue 15,
 * finding 1). CPU time, not wall time, so other work on the machine does not decide the outcome.
 */
import t from 'tap';
import { BEARER as ADMIN_BEARER } from '../../src/admin/admin-auth.js';
import { parseAdminToken } from '../../src/admin/token-secret.js';
import { terminalSafe } from '../../src/cli/terminal-text.js';
import { parseOverlap } from '../../src/cli/client.js';
import { viewFromQuery } from '../../src/console/logs-routes.js';
import { requestIdFrom } from '../../src/http/request-context.js';
import { JWT_SHAPED, scrubSecrets } from '../../src/ncentral/answer.js';
import { normaliseNcentralUrl } from '../../src/ncentral/base-url.js';
import { usableSerial } from '../../src/ncentral/device-diff.js';
import { parseSyncTime } from '../../src/ncentral/schedule.js';
import { normaliseMacs, readTimestamp } from '../../src/ncentral/wire.js';
import { BEARER, TENANT_PATH } from '../../src/oauth/bearer-auth.js';
import { readClientCredentials } from '../../src/oauth/client-auth.js';
import { diffDocuments } from '../../src/provisioning-log/changes.js';
import { decodeCursor } from '../../src/provisioning-log/cursor.js';
import { canonicaliseFilter, normaliseEntraPatch, VALUE_FILTER_COMPARISON, VALUE_PATH } from '../../src/scim/entra-compat.js';
import { BARE_VALUE, JSON_LITERAL, QUOTED_OR_PLAIN, parseFilter, quoteBareValues, rewriteValuePathSubAttribute, VALUE_PATH_SUB } from '../../src/scim/filter.js';
import { parseListParams } from '../../src/scim/list.js';
import { checkIfMatch } from '../../src/scim/preconditions.js';
import { parseProjection } from '../../src/scim/representation.js';
import { RESOURCE_SEGMENT } from '../../src/scim/routes.js';
import { toBoolean } from '../../src/scim/user-resource.js';
import { resolvePath } from '../../src/scim/user-schema.js';

const MiB = 1024 * 1024;
const LIMIT_MS = 100;
/** `unit` repeated to `size` (1 MiB), with an optional head and tail. */
const fill = (unit: string, head = '', tail = '', size = MiB): string => head + unit.repeat(Math.ceil((size - head.length - tail.length) / unit.length)) + tail;
/**
 * The filter parser (scim2-parse-filter) is linear but slow per character (about 0.3 ms per KiB); it only ever
 * sees a filter within SCIM_MAX_FILTER_LENGTH, at most 65,536 characters, so it is checked at that bound.
 */
const MAX_FILTER = 65_536;
const filterOf = (unit: string, head: string, tail = ''): string => fill(unit, head, tail, MAX_FILTER);

/** CPU milliseconds of one call; a refusal (throw) is an answer too, only the time counts here. */
function cpuMs(fn: () => unknown): number {
  const start = process.cpuUsage();
  try {
    fn();
  } catch {
    // refused: fine
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const emails = resolvePath('emails')?.attribute;
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** [what, worst-case input, the real code path]; inputs are built lazily so each case's memory is freed. */
const cases: Array<[string, () => string, (input: string) => unknown]> = [
  // SCIM: PATCH paths (src/scim/entra-compat.ts)
  ['PATCH value filter: one long name', () => fill('a'), (s) => emails && canonicaliseFilter(s, emails)],
  ['PATCH value filter: a name then endless blanks', () => fill(' ', 'type'), (s) => emails && canonicaliseFilter(s, emails)],
  ['PATCH value filter: unclosed escaped string', () => fill('\\"', 'type eq "'), (s) => emails && canonicaliseFilter(s, emails)],
  ['PATCH value filter: many comparisons', () => fill('type eq "work" and '), (s) => s.replace(VALUE_FILTER_COMPARISON, '')],
  ['PATCH value path: emails[ + 1 MiB + ]', () => fill('a', 'emails[', ']'), (s) => VALUE_PATH.exec(s)],
  ['PATCH value path: many ].x', () => fill('].a', 'emails['), (s) => VALUE_PATH.exec(s)],
  ['PATCH value path: a long sub-attribute', () => fill('a', 'emails[type eq "work"].', '!'), (s) => VALUE_PATH.exec(s)],
  ['PATCH body with a 1 MiB path', () => fill('a', 'emails[', ']'), (s) => normaliseEntraPatch({ schemas: [PATCH], Operations: [{ op: 'replace', path: s, value: 'x' }] })],
  ['PATCH body with a 1 MiB attribute key', () => fill('a'), (s) => normaliseEntraPatch({ schemas: [PATCH], Operations: [{ op: 'replace', value: { [s]: 'x' } }] })],
  // SCIM: filters (src/scim/filter.ts), each rewrite on its own and the whole parse with the length bound lifted
  ['filter: unclosed escaped quotes', () => fill('"\\'), (s) => s.replace(QUOTED_OR_PLAIN, '')],
  ['filter: operator then endless blanks', () => fill(' ', 'eq', '('), (s) => quoteBareValues(s)],
  ['filter: many bare values', () => fill('a eq b '), (s) => s.replace(BARE_VALUE, '')],
  ['filter: a long number-like literal', () => fill('1', '', 'x'), (s) => JSON_LITERAL.test(s)],
  ['filter: value path, one long name', () => fill('a'), (s) => rewriteValuePathSubAttribute(s)],
  ['filter: value path, unclosed bracket', () => fill('x', 'emails['), (s) => rewriteValuePathSubAttribute(s)],
  ['filter: value path, many sub-attributes', () => fill('a[].b '), (s) => s.replace(VALUE_PATH_SUB, '')],
  ['filter: value path then endless blanks', () => fill(' ', 'emails[type eq "work"].value', 'x'), (s) => rewriteValuePathSubAttribute(s)],
  ['filter parse (64 KiB): a long quoted value', () => filterOf('a', 'userName eq "', '"'), (s) => parseFilter(s, MAX_FILTER)],
  ['filter parse (64 KiB): a long word', () => filterOf('a', 'userName eq '), (s) => parseFilter(s, MAX_FILTER)],
  ['filter parse (64 KiB): unclosed escaped string', () => filterOf('\\"', 'userName eq "'), (s) => parseFilter(s, MAX_FILTER)],
  ['filter parse (64 KiB): a long number', () => filterOf('1', 'userName eq ', 'x'), (s) => parseFilter(s, MAX_FILTER)],
  ['filter parse (64 KiB): many or', () => filterOf('userName eq "a" or ', '', 'userName pr'), (s) => parseFilter(s, MAX_FILTER)],
  ['filter parse: 1 MiB refused by its length', () => fill('a', 'userName eq "', '"'), (s) => parseFilter(s)],
  // SCIM: query parameters, headers and URLs
  ['attributes: a 1 MiB list', () => fill('userName,'), (s) => parseProjection({ attributes: s })],
  ['attributes: one 1 MiB name', () => fill('a'), (s) => parseProjection({ excludedAttributes: s })],
  ['attributes: a 1 MiB list of commas', () => fill(',', 'userName'), (s) => parseProjection({ attributes: s })],
  ['sortBy: one 1 MiB name', () => fill('a.'), (s) => parseListParams({ sortBy: s })],
  ['startIndex: 1 MiB of digits', () => fill('1'), (s) => parseListParams({ startIndex: s })],
  ['attribute path: 1 MiB of dots', () => fill('.'), (s) => resolvePath(s)],
  ['attribute path: a custom extension URN with 1 MiB of name', () => fill('a', 'urn:ietf:params:scim:schemas:extension:', ':2.0:Use'), (s) => resolvePath(s)],
  ['attribute path: a custom extension attribute of 1 MiB of colons', () => fill(':', 'urn:ietf:params:scim:schemas:extension:X:2.0:User:'), (s) => resolvePath(s)],
  ['boolean value', () => fill('true'), (s) => toBoolean(s, 'active')],
  ['If-Match: one 1 MiB tag', () => fill('1', 'W/"', '"'), (s) => checkIfMatch(s, 2)],
  ['If-Match: 16 KiB of tags (the header limit)', () => fill('W/"1",', '', '', 16 * 1024), (s) => checkIfMatch(s, 2)],
  ['resource segment of a URL', () => fill('/User'), (s) => s.search(RESOURCE_SEGMENT)],
  // OAuth and admin credentials
  ['Basic credentials then junk', () => fill('A', 'Basic ', '!'), (s) => readClientCredentials(s, {})],
  ['Basic then endless blanks', () => fill(' ', 'Basic', '!'), (s) => readClientCredentials(s, {})],
  ['SCIM bearer then padding', () => fill('=', 'Bearer a', '!'), (s) => BEARER.exec(s)],
  ['SCIM bearer then endless blanks', () => fill(' ', 'Bearer', '!'), (s) => BEARER.exec(s)],
  ['tenant path', () => fill('a', '/scim/v2/tenants/'), (s) => TENANT_PATH.exec(s)],
  ['admin bearer', () => fill('!', 'Bearer ', ' '), (s) => ADMIN_BEARER.exec(s)],
  ['admin token text', () => fill('a', 'ppadm_'), (s) => parseAdminToken(s)],
  ['request id header', () => fill('a'), (s) => requestIdFrom({ 'x-request-id': s })],
  // Provisioning log and console
  ['log cursor', () => fill('a'), (s) => decodeCursor(s)],
  ['log changes: a 1 MiB attribute name', () => fill('passwor'), (s) => diffDocuments(undefined, { [s]: 'x' })],
  ['console log window: zone-like text', () => fill('+00:0', '2026-01-01T00:00'), (s) => viewFromQuery({ from: s, to: s }, new Date('2026-01-02T00:00:00Z'))],
  // N-central answers and settings
  ['JWT redaction: eyJeyJ…', () => fill('eyJ'), (s) => scrubSecrets(s, [])],
  ['JWT redaction: many two-part tokens', () => fill('eyJaaaa.bbbb '), (s) => s.replace(JWT_SHAPED, '')],
  ['N-central timestamp: fractions', () => fill('.1', '2026-01-01T00:00:00'), (s) => readTimestamp(s)],
  ['N-central timestamp: zone-like tail', () => fill('+0', '2026-01-01 00:00'), (s) => readTimestamp(s)],
  ['N-central MAC: one 1 MiB part', () => fill('0'), (s) => normaliseMacs(s)],
  ['N-central MAC: separators only', () => fill(',;'), (s) => normaliseMacs(s)],
  ['N-central serial', () => fill('0', '', 'x'), (s) => usableSerial(s)],
  ['N-central address', () => fill('a', '', '!'), (s) => normaliseNcentralUrl(s)],
  ['N-central sync time', () => fill('1'), (s) => parseSyncTime(s)],
  // CLI
  ['CLI --overlap', () => fill('1', '', 'x'), (s) => parseOverlap(s)],
  ['CLI terminal escapes: an ESC every 16 characters', () => fill('abcdefghijklmn\u001b['), (s) => terminalSafe(s)],
  ['CLI terminal escapes: printable text only', () => fill('Zoë Ångström '), (s) => terminalSafe(s)],
];

for (const [what, input, run] of cases) {
  t.test(`${what}: in well under ${LIMIT_MS} ms of CPU`, async (t) => {
    const text = input();
    t.ok(text.length >= (what.includes('(64 KiB)') ? MAX_FILTER : what.includes('16 KiB') ? 16 * 1024 : MiB));
    // A first run on the same input is not counted: V8 runs a new regexp in its bytecode interpreter (linear too,
    // about 100 ms per MiB) before compiling it; a quadratic pattern never finishes this first run anyway.
    cpuMs(() => run(text));
    const ms = cpuMs(() => run(text));
    t.ok(ms < LIMIT_MS, `${ms.toFixed(1)} ms`);
  });
}
