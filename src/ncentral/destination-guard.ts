/**
 * Where the N-central client may connect: the allow-list (allowed-hosts.ts) applied to the addresses a host
 * name really resolves to. The same check runs when a connection is saved and, through the sockets' own
 * `lookup`, on every connection the client opens, so a name that resolves to a public address when saved and
 * to 127.0.0.1 later (DNS rebinding) is still refused before a byte is sent (issue 15).
 */
import dns from 'node:dns';
import net from 'node:net';
import { addressVerdict, destinationVerdict, hostListed, type AddressVerdict, type AllowedHosts } from './allowed-hosts.js';
import { parseIp } from './address-ranges.js';

/** Every address a host name resolves to. Injectable so tests can play DNS. */
export type HostResolver = (host: string) => Promise<string[]>;

export const systemResolver: HostResolver = async (host) =>
  (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface DestinationGuard {
  allowed: AllowedHosts;
  resolve: HostResolver;
}

/** The error code a refused destination fails the socket with; the transport turns it into kind `notAllowed`. */
export const NOT_ALLOWED_CODE = 'ENCENTRALNOTALLOWED';

/** The verdict on a host as it would be connected to now: an address literal directly, a name once resolved. */
export async function checkDestination(guard: DestinationGuard, host: string): Promise<AddressVerdict> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (parseIp(bare) !== null) return addressVerdict(guard.allowed, bare);
  if (hostListed(guard.allowed, bare)) return { allowed: true };
  let addresses: string[];
  try {
    addresses = await guard.resolve(bare);
  } catch {
    return { allowed: false, why: 'does not resolve' };
  }
  return destinationVerdict(guard.allowed, bare, addresses);
}

/**
 * A `lookup` for http(s).Agent: resolves, refuses the host when any of its addresses is not allowed, and hands
 * the socket only addresses it checked. (Node skips `lookup` for address literals: the transport checks those.)
 */
export function guardedLookup(guard: DestinationGuard): net.LookupFunction {
  return (hostname, options, callback) => {
    const refuse = (code: string, message: string) => {
      const error: NodeJS.ErrnoException = new Error(message);
      error.code = code;
      callback(error, options.all ? [] : '');
    };
    guard.resolve(hostname).then(
      (addresses) => {
        const verdict = destinationVerdict(guard.allowed, hostname, addresses);
        if (!verdict.allowed) return refuse(NOT_ALLOWED_CODE, 'destination not allowed');
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = addresses
          .map((address) => ({ address, family: net.isIP(address) }))
          .filter((a) => a.family !== 0 && (family === undefined || family === 0 || a.family === family));
        const first = usable[0];
        if (first === undefined) return refuse('ENOTFOUND', 'no usable address');
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      () => refuse('ENOTFOUND', 'does not resolve'),
    );
  };
}
