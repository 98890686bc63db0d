/**
 * NCENTRAL_ALLOWED_HOSTS: which N-central addresses a tenant may connect to (issue 15, SSRF). Pure.
 *
 * Semantics: a listed host name (`nc.example.com`) or wildcard (`*.example.com`: any name below it, not the
 * name itself) is allowed whatever it resolves to — the operator vouches for it; a listed address or CIDR range
 * (`10.20.0.0/16`, `fd00:1::/32`, `192.0.2.7`) allows addresses inside it; every other destination is allowed
 * only when all of its addresses are public (see address-ranges.ts). Listing adds to the public internet; it
 * never takes from it.
 */
import { nonPublicRange, parseCidr, parseIp, rangeContains, unmapped, type IpRange } from './address-ranges.js';

export interface AllowedHosts {
  /** Exact host names, lower case, without a trailing dot. */
  names: ReadonlySet<string>;
  /** Wildcard suffixes, e.g. `.example.com` for `*.example.com`. */
  suffixes: readonly string[];
  ranges: readonly IpRange[];
}

/** The default: public addresses only. */
export const PUBLIC_ONLY: AllowedHosts = { names: new Set(), suffixes: [], ranges: [] };

export type ParsedAllowedHosts = { ok: true; value: AllowedHosts } | { ok: false; entry: string; reason: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function isHostName(text: string): boolean {
  return text.length <= 253 && text.split('.').every((label) => LABEL.test(label));
}

/** Lower case, without URL brackets or one trailing dot: the form names are compared in. */
export function canonicalHost(host: string): string {
  const lower = host.trim().toLowerCase();
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
}

/** `nc.example.com, *.msp.example, 10.20.0.0/16, fd00:1::/32`: comma-separated; blanks are ignored. */
export function parseAllowedHosts(text: string): ParsedAllowedHosts {
  const names = new Set<string>();
  const suffixes: string[] = [];
  const ranges: IpRange[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const lower = entry.toLowerCase();
    if (lower.includes('/') || parseIp(lower) !== null) {
      const parsed = parseCidr(lower.replace(/^\[([^\]]*)\]/, '$1'));
      if (parsed === null) return { ok: false, entry, reason: 'is not a valid IP address or CIDR range' };
      ranges.push(parsed);
    } else if (lower.startsWith('*.')) {
      const base = canonicalHost(lower.slice(2));
      // `*.com` would open a whole top-level domain: ask for at least a registrable-looking name.
      if (!isHostName(base) || !base.includes('.')) return { ok: false, entry, reason: 'must look like *.example.com' };
      suffixes.push(`.${base}`);
    } else {
      const name = canonicalHost(lower);
      if (!isHostName(name) || /^[0-9.]+$/.test(name)) return { ok: false, entry, reason: 'is not a host name, wildcard (*.example.com) or CIDR range' };
      names.add(name);
    }
  }
  return { ok: true, value: { names, suffixes, ranges } };
}

/** True when the host is listed by name or wildcard, so its addresses are not checked. */
export function hostListed(allowed: AllowedHosts, host: string): boolean {
  const name = canonicalHost(host);
  if (parseIp(name) !== null) return false;
  return allowed.names.has(name) || allowed.suffixes.some((suffix) => name.length > suffix.length && name.endsWith(suffix));
}

export type AddressVerdict = { allowed: true } | { allowed: false; why: string };

/** An address inside a listed range, or a public one, may be connected to. */
export function addressVerdict(allowed: AllowedHosts, text: string): AddressVerdict {
  const address = parseIp(text);
  if (address === null) return { allowed: false, why: 'not an IP address' };
  const candidates = [address, unmapped(address)];
  if (allowed.ranges.some((r) => candidates.some((a) => rangeContains(r, a)))) return { allowed: true };
  const range = nonPublicRange(address);
  return range === null ? { allowed: true } : { allowed: false, why: range };
}

/**
 * The verdict on a host and the addresses it resolved to: listed by name, or every address allowed. One
 * refused address refuses the host, since the connection may use any of them.
 */
export function destinationVerdict(allowed: AllowedHosts, host: string, addresses: readonly string[]): AddressVerdict {
  if (hostListed(allowed, host)) return { allowed: true };
  if (addresses.length === 0) return { allowed: false, why: 'no address' };
  for (const address of addresses) {
    const verdict = addressVerdict(allowed, address);
    if (!verdict.allowed) return verdict;
  }
  return { allowed: true };
}
