/**
 * IP addresses and CIDR ranges as numbers, and the special-purpose ranges that are not the public internet
 * (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890). Pure: the N-central allow-list decides with it
 * which addresses the service may connect to (issue 15, SSRF). Matching is by numeric range, never by string
 * prefix, so `0177.1`, `::ffff:7f00:1` or `[0:0::1]` cannot slip past a check written for `127.`.
 */
export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface IpRange {
  version: 4 | 6;
  /** The first address of the range (host bits cleared). */
  base: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

/** A dotted-quad IPv4 address (decimal octets only, as the URL parser writes them), or null. */
function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/** An IPv6 address (`::` shorthand and a trailing dotted quad allowed, no zone id), or null. */
function parseIpv6(text: string): bigint | null {
  if (text.length > 45 || text.includes('%')) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i += 1) {
      const piece = pieces[i] ?? '';
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === null || tail === null) return null;
  // A dotted quad is only valid at the very end of the address.
  if (halves.length === 2 && (halves[0] ?? '').includes('.')) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** An IPv4 or IPv6 address; IPv6 may come in URL brackets (`[::1]`). */
export function parseIp(text: string): IpAddress | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIpv4(bare);
  if (v4 !== null) return { version: 4, value: v4 };
  if (!bare.includes(':')) return null;
  const v6 = parseIpv6(bare);
  return v6 === null ? null : { version: 6, value: v6 };
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (a /32 or /128). Host bits beyond the prefix are cleared. */
export function parseCidr(text: string): IpRange | null {
  const slash = text.indexOf('/');
  const address = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (address === null) return null;
  const bits = BITS[address.version];
  let prefix: number = bits;
  if (slash !== -1) {
    const length = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(length) || Number(length) > bits) return null;
    prefix = Number(length);
  }
  return { version: address.version, base: address.value & maskOf(bits, prefix), prefix };
}

function maskOf(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

export function rangeContains(range: IpRange, address: IpAddress): boolean {
  if (range.version !== address.version) return false;
  return (address.value & maskOf(BITS[range.version], range.prefix)) === range.base;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), or the address itself. */
export function unmapped(address: IpAddress): IpAddress {
  if (address.version === 6 && address.value >> 32n === 0xffffn) return { version: 4, value: address.value & 0xffffffffn };
  return address;
}

const range = (cidr: string): IpRange => {
  const parsed = parseCidr(cidr);
  if (parsed === null) throw new Error(`bad built-in range ${cidr}`);
  return parsed;
};

/** IPv4 ranges that are not globally reachable unicast (IANA special-purpose registry, plus multicast). */
const SPECIAL_V4: ReadonlyArray<{ range: IpRange; name: string }> = [
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'shared address space (carrier-grade NAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (incl. cloud metadata)'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved (incl. broadcast)'],
].map(([cidr, name]) => ({ range: range(cidr as string), name: name as string }));

/** IPv6 ranges inside or beside global unicast that are not the public internet. */
const SPECIAL_V6: ReadonlyArray<{ range: IpRange; name: string }> = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  ['2001::/23', 'IETF protocol assignments (incl. Teredo)'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'segment routing'],
  ['fc00::/7', 'unique local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
].map(([cidr, name]) => ({ range: range(cidr as string), name: name as string }));

const GLOBAL_UNICAST_V6 = range('2000::/3');
/** RFC 6052 well-known NAT64 prefix: the IPv4 address in its last 32 bits is what is really reached. */
const NAT64_V6 = range('64:ff9b::/96');

/**
 * Why an address is not on the public internet (a range's name), or null when it is. IPv4-mapped and NAT64
 * addresses are judged by the IPv4 address they carry; any IPv6 address outside 2000::/3 is not public.
 */
export function nonPublicRange(address: IpAddress): string | null {
  let target = unmapped(address);
  if (target.version === 6 && rangeContains(NAT64_V6, target)) target = { version: 4, value: target.value & 0xffffffffn };
  if (target.version === 4) return SPECIAL_V4.find((s) => rangeContains(s.range, target))?.name ?? null;
  const special = SPECIAL_V6.find((s) => rangeContains(s.range, target));
  if (special) return special.name;
  return rangeContains(GLOBAL_UNICAST_V6, target) ? null : 'not global unicast';
}
