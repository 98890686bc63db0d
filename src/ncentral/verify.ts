/**
 * "Verify" for an N-central connection: can we reach the server over trusted TLS, does the User-API token work,
 * is the server new enough for the REST API (2023.9, ../shared/ncentral-api.md §3; asked with the token, as the
 * specification requires), and can the API user see customers and devices? Each failure comes back as a stable code with a sentence an MSP admin can act on
 * (§2 "API-user pitfalls"), never with a token in it.
 */
import type { NcentralClient } from './client.js';
import { NcentralError } from './client-error.js';

export type VerifyProblemCode =
  | 'badUrl'
  | 'notAllowed'
  | 'tls'
  | 'unreachable'
  | 'badToken'
  | 'passwordExpired'
  | 'versionTooOld'
  | 'noCustomerAccess'
  | 'noDeviceAccess'
  | 'serverError';

export interface VerifyProblem {
  code: VerifyProblemCode;
  message: string;
}

/** Worth knowing, but no reason to refuse the connection. */
export interface VerifyWarning {
  code: 'versionUnknown';
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  ncentralVersion: string | null;
  apiVersion: string | null;
  customers: number | null;
  devices: number | null;
  problems: VerifyProblem[];
  warnings: VerifyWarning[];
}

export interface VerifyOptions {
  /** Oldest N-central with a usable REST API. Default "2023.9". */
  minimumVersion?: string;
  /** Retries per call during verify: an admin is waiting. Default 1. */
  maxRetries?: number;
}

/** "2023.9.0.25" ≥ "2023.9"? Null when either is not a dotted number. */
export function versionAtLeast(version: string, minimum: string): boolean | null {
  const parse = (text: string) => (/^\d+(\.\d+)*/.exec(text.trim())?.[0] ?? '').split('.').filter((p) => p !== '').map(Number);
  const have = parse(version);
  const need = parse(minimum);
  if (have.length === 0 || need.length === 0) return null;
  for (let i = 0; i < need.length; i += 1) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

const versionUnknownMessage =
  'N-central did not say which version it runs (neither /api/server-info nor /api/server-info/extra named one), so the 2023.9 minimum could not be checked. The sync needs N-central 2023.9 or later.';
const notNcentralMessage =
  "That address answers, but not as an N-central server with the REST API (2023.9 or later). Use the N-central server's own address, e.g. ncentral.example.com.";
const noCustomersMessage =
  'The API user sees no customers. Give it a role and an access group that cover the service organization and its customers.';
const noDevicesMessage =
  'The API user sees customers but no devices. Give its role read access to Devices → Devices View → All Devices, and log in to N-central once as that user to accept the EULA.';

/** N-central's own words from its error body (`message`, already scrubbed of tokens), as a trailing clause. */
function said(error: NcentralError): string {
  return error.serverMessage === undefined ? '' : ` N-central said: "${error.serverMessage}".`;
}

function problemFor(error: unknown, stage: 'token' | 'customers' | 'devices'): VerifyProblem {
  if (!(error instanceof NcentralError)) {
    return { code: 'serverError', message: 'Checking N-central failed unexpectedly.' };
  }
  switch (error.kind) {
    case 'badUrl':
      return { code: 'badUrl', message: error.message };
    case 'notAllowed':
      return { code: 'notAllowed', message: error.message };
    case 'tls':
      return { code: 'tls', message: `${error.message} N-central must present a certificate from a trusted CA; for a private CA, add its bundle.` };
    case 'network':
    case 'timeout':
      // One sentence for refused, unresolvable and silent alike (issue 15: no port scanner).
      return { code: 'unreachable', message: 'N-central could not be reached at that address. Check the address and port, and that N-central accepts connections from this service.' };
    case 'passwordExpired':
      return { code: 'passwordExpired', message: error.message };
    case 'auth':
      return { code: 'badToken', message: `N-central refused the User-API token. It may be mistyped, revoked, or replaced by a newer one; generate a new token for the API user (Administration → User Management → Users → API Access) and save it here.${said(error)}` };
    case 'forbidden':
      if (stage === 'token') return { code: 'badToken', message: `N-central refused API access for this token: the user may not use the API, or has 2FA turned on.${said(error)}` };
      if (stage === 'devices') return { code: 'noDeviceAccess', message: `${noDevicesMessage}${said(error)}` };
      return { code: 'noCustomerAccess', message: `${noCustomersMessage}${said(error)}` };
    case 'notFound':
    case 'badResponse':
      // The first call is authenticate: an address without it (or answering it with no tokens) is not N-central.
      if (stage === 'token') return { code: 'badUrl', message: notNcentralMessage };
      return { code: 'serverError', message: error.message };
    default:
      return { code: 'serverError', message: error.message };
  }
}

export async function verifyConnection(client: NcentralClient, options: VerifyOptions = {}): Promise<VerifyResult> {
  const minimum = options.minimumVersion ?? '2023.9';
  const callOptions = { maxRetries: options.maxRetries ?? 1 };
  const result: VerifyResult = { ok: false, ncentralVersion: null, apiVersion: null, customers: null, devices: null, problems: [], warnings: [] };
  const stop = (problem: VerifyProblem) => {
    result.problems.push(problem);
    return result;
  };

  try {
    await client.authenticate(callOptions);
  } catch (error) {
    return stop(problemFor(error, 'token'));
  }

  // Both version routes want the access token (the specification's security on /api/server-info and …/extra).
  try {
    const info = await client.serverInfo(callOptions);
    result.ncentralVersion = info.ncentralVersion;
    result.apiVersion = info.apiVersion;
  } catch {
    // Not answering it is no reason to refuse the connection: the extra route and the version warning follow.
  }
  if (result.ncentralVersion === null) {
    // N-able's own example answers `ncentral: null`; the deployment's product version is in the extra route.
    result.ncentralVersion = await client.serverInfoExtraVersion(callOptions).catch(() => null);
  }
  if (result.ncentralVersion === null) {
    result.warnings.push({ code: 'versionUnknown', message: versionUnknownMessage });
  } else if (versionAtLeast(result.ncentralVersion, minimum) === false) {
    // Keep going: the admin learns everything that is wrong at once.
    result.problems.push({ code: 'versionTooOld', message: `N-central ${result.ncentralVersion} is too old: the REST API needs ${minimum} or later. Upgrade N-central.` });
  }

  try {
    result.customers = await countOf(client.customers({ pageSize: 100, ...callOptions }), true);
  } catch (error) {
    return stop(problemFor(error, 'customers'));
  }
  if (result.customers === 0) return stop({ code: 'noCustomerAccess', message: noCustomersMessage });

  try {
    result.devices = await countOf(client.devices({ pageSize: 1, ...callOptions }), false);
  } catch (error) {
    return stop(problemFor(error, 'devices'));
  }
  // Customers visible but an empty device list is the classic sign of missing device rights or an unaccepted EULA (§9.11).
  if (result.devices === 0) result.problems.push({ code: 'noDeviceAccess', message: noDevicesMessage });

  result.ok = result.problems.length === 0;
  return result;
}

/** The total the server states; without one, count by reading on (customers) or give up (devices). */
async function countOf(pages: AsyncIterable<{ items: unknown[]; totalItems: number | null }>, readAll: boolean): Promise<number | null> {
  let seen = 0;
  for await (const page of pages) {
    if (page.totalItems !== null) return page.totalItems;
    if (page.items.length === 0) return seen;
    seen += page.items.length;
    if (!readAll) return null;
  }
  return seen;
}
