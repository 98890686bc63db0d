import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { configVariableNames, parseTrustProxy } from '../../src/config.js';

/**
 * deploy/compose.yaml is documentation (no container runtime here), so it is checked against what it documents:
 * the service's settings exist, TRUST_PROXY names Caddy's address, and Caddy gets the variables the Caddyfile reads.
 */
const compose = parse(readFileSync(new URL('../../deploy/compose.yaml', import.meta.url), 'utf8')) as {
  services: Record<string, { environment?: Record<string, string>; networks?: Record<string, { ipv4_address?: string }> | string[] }>;
};
const caddyfile = readFileSync(new URL('../../deploy/Caddyfile', import.meta.url), 'utf8');

t.test('the service in compose.yaml is configured with settings the service knows, TRUST_PROXY naming caddy', async (t) => {
  const service = compose.services['service'];
  const caddy = compose.services['caddy'];
  t.ok(service?.environment && caddy, 'service and caddy are defined');
  const known = new Set(configVariableNames());
  for (const name of Object.keys(service?.environment ?? {})) t.ok(known.has(name), `${name} is a setting of the service`);
  t.match(service?.environment?.['PUBLIC_BASE_URL'], /^https:\/\//);
  const caddyAddress = Array.isArray(caddy?.networks) ? undefined : caddy?.networks?.['backend']?.ipv4_address;
  t.same(parseTrustProxy(service?.environment?.['TRUST_PROXY'] ?? ''), [caddyAddress]);
});

t.test('caddy in compose.yaml sets only variables the Caddyfile reads, and both TLS modes exist', async (t) => {
  const read = new Set([...caddyfile.matchAll(/\{\$([A-Z_]+)(?::[^}]*)?\}/g)].map((m) => m[1]));
  for (const name of Object.keys(compose.services['caddy']?.environment ?? {})) t.ok(read.has(name), `the Caddyfile reads ${name}`);
  t.match(caddyfile, /import tls-\{\$CADDY_TLS:public\}/);
  t.match(caddyfile, /^\(tls-public\) \{/m);
  t.match(caddyfile, /^\(tls-internal\) \{\s*tls internal\s*\}/m);
  t.match(caddyfile, /skip_install_trust/);
});
