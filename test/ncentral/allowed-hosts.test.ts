/**
 * The N-central destination rules without any network (issue 15, SSRF): address parsing, the special-purpose
 * range table, NCENTRAL_ALLOWED_HOSTS parsing and the verdict on a host and its addresses.
 */
import net from 'node:net';
import t from 'tap';
import { nonPublicRange, parseCidr, parseIp, rangeContains } from '../../src/ncentral/address-ranges.js';
import { addressVerdict, destinationVerdict, hostListed, parseAllowedHosts, PUBLIC_ONLY } from '../../src/ncentral/allowed-hosts.js';
import { allowedHosts } from '../helpers/ncentral.js';

t.test('IPv4 and IPv6 addresses parse to the same numbers however they are written', async (t) => {
  t.same(parseIp('127.0.0.1'), { version: 4, value: 0x7f000001n });
  t.same(parseIp('[::1]'), { version: 6, value: 1n });
  t.same(parseIp('0:0:0:0:0:0:0:1'), parseIp('::1'));
  t.same(parseIp('::ffff:127.0.0.1'), parseIp('::ffff:7f00:1'));
  t.same(parseIp('FE80::1'), parseIp('fe80::1'));
  for (const bad of ['127.1', '0177.0.0.1', '256.0.0.1', '1.2.3.4.5', 'example.com', '::1::', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '1.2.3.4::', '::g', '']) {
    t.equal(parseIp(bad), null, `${bad} is not an address`);
  }
});

t.test('the parser agrees with node:net on which texts are addresses', async (t) => {
  const samples = ['1.2.3.4', '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6::8', '::ffff:1.2.3.4', '1::1.2.3.4', '1.2.3', '01.2.3.4', '1:2:3:4:5:6:7', ':1', '1:', 'a:b:c:d:e:f:1.2.3.4', 'a:b:c:d:e:f:0:1.2.3.4', '12345::', '::1.2.3.4:5'];
  for (const text of samples) t.equal(parseIp(text) !== null, net.isIP(text) !== 0, text);
});

t.test('CIDR ranges contain exactly their addresses; host bits are cleared', async (t) => {
  const range = parseCidr('10.1.2.3/8');
  t.same(range, { version: 4, base: 0x0a000000n, prefix: 8 });
  const ip = (text: string) => parseIp(text) ?? t.fail(`${text}`);
  t.ok(range && rangeContains(range, ip('10.255.255.255') as never));
  t.notOk(range && rangeContains(range, ip('11.0.0.0') as never));
  t.notOk(range && rangeContains(range, ip('::ffff:10.0.0.1') as never), 'a v4 range does not match a v6 address by itself');
  t.same(parseCidr('::/0'), { version: 6, base: 0n, prefix: 0 });
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/08', 'x/8']) t.equal(parseCidr(bad), null, bad);
});

t.test('every special-purpose range is refused, the public internet is not', async (t) => {
  const internal = [
    '0.0.0.0', '0.1.2.3', '10.0.0.1', '100.64.0.1', '100.127.255.255', '127.0.0.1', '127.255.255.254', '169.254.169.254',
    '172.16.0.1', '172.31.255.255', '192.0.0.8', '192.0.2.1', '192.168.1.1', '198.18.0.1', '198.51.100.7', '203.0.113.9',
    '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '::', '::1', '::127.0.0.1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254',
    '64:ff9b::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::1', '100::1', '2001::1', '2001:db8::1', '2002:7f00:1::1', '3fff::1',
    'fc00::1', 'fd12:3456::1', 'fe80::1', 'febf::1', 'fec0::1', 'ff02::1', '4000::1', '1::1',
  ];
  for (const text of internal) {
    const address = parseIp(text);
    t.not(address && nonPublicRange(address), null, `${text} is not public`);
  }
  const external = ['1.1.1.1', '8.8.8.8', '93.184.215.14', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.169.0.1', '223.255.255.255', '2606:4700::1111', '2a00:1450::1', '::ffff:8.8.8.8', '64:ff9b::808:808'];
  for (const text of external) {
    const address = parseIp(text);
    t.equal(address && nonPublicRange(address), null, `${text} is public`);
  }
});

t.test('NCENTRAL_ALLOWED_HOSTS takes names, wildcards, addresses and ranges, and refuses anything else', async (t) => {
  const parsed = parseAllowedHosts(' NC.Example.com., *.msp.example ,10.20.0.0/16, fd00:1::/32, 192.0.2.7, [::1] ,, ');
  t.ok(parsed.ok);
  if (!parsed.ok) return;
  t.same([...parsed.value.names], ['nc.example.com']);
  t.same(parsed.value.suffixes, ['.msp.example']);
  t.equal(parsed.value.ranges.length, 4);
  t.same(parseAllowedHosts(''), { ok: true, value: { names: new Set(), suffixes: [], ranges: [] } });
  for (const bad of ['*', '*.com', 'http://nc.example.com', 'nc.example.com:8443', '10.0.0.0/40', '1.2.3', 'nc_1.example.com', '-nc.example.com', 'nc..example.com']) {
    const result = parseAllowedHosts(`ok.example.com, ${bad}`);
    t.same(result.ok ? null : result.entry, bad, `${bad} is refused by name`);
  }
});

t.test('a listed name or wildcard allows that host whatever it resolves to', async (t) => {
  const allowed = allowedHosts('nc.example.com, *.msp.example');
  t.ok(hostListed(allowed, 'NC.example.com.'));
  t.ok(hostListed(allowed, 'a.b.msp.example'));
  t.notOk(hostListed(allowed, 'msp.example'), 'a wildcard does not cover the name itself');
  t.notOk(hostListed(allowed, 'evilmsp.example'));
  t.notOk(hostListed(allowed, 'nc.example.com.evil.test'));
  t.same(destinationVerdict(allowed, 'nc.example.com', ['127.0.0.1']), { allowed: true });
  t.same(destinationVerdict(allowed, 'other.example.com', ['127.0.0.1']), { allowed: false, why: 'loopback' });
});

t.test('a listed range allows addresses inside it, in IPv4-mapped form too; others must be public', async (t) => {
  const allowed = allowedHosts('10.20.0.0/16, fd00:1::/32');
  t.same(addressVerdict(allowed, '10.20.3.4'), { allowed: true });
  t.same(addressVerdict(allowed, '::ffff:10.20.3.4'), { allowed: true });
  t.same(addressVerdict(allowed, 'fd00:1::5'), { allowed: true });
  t.same(addressVerdict(allowed, '10.21.0.1'), { allowed: false, why: 'private (RFC 1918)' });
  t.same(addressVerdict(allowed, '8.8.8.8'), { allowed: true });
  t.same(addressVerdict(PUBLIC_ONLY, 'not-an-address'), { allowed: false, why: 'not an IP address' });
});

t.test('one internal address among public ones refuses the host, and so does no address at all', async (t) => {
  t.same(destinationVerdict(PUBLIC_ONLY, 'nc.example.com', ['93.184.215.14', '2606:4700::1111']), { allowed: true });
  t.same(destinationVerdict(PUBLIC_ONLY, 'nc.example.com', ['93.184.215.14', '10.0.0.1']), { allowed: false, why: 'private (RFC 1918)' });
  t.same(destinationVerdict(PUBLIC_ONLY, 'nc.example.com', []), { allowed: false, why: 'no address' });
});
