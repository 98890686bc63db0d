/**
 * The app as the SCIM benchmark runs it: a child process of bench/scim.ts, so the load generator does not
 * share its event loop. Configured from the environment like the real server (DATABASE_URL, DATABASE_SCHEMA,
 * PROVISIONING_LOG_ENABLED, BENCH_AUTH); prints `listening <port>` when ready.
 */
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { ScimPrincipal } from '../src/http/principal.js';
import { createLogger } from '../src/log.js';
import { createDeps } from '../src/runtime.js';

const tenantId = process.env['BENCH_TENANT_ID'] ?? '';
const config = loadConfig();
const log = createLogger(config.logLevel);
const deps = await createDeps(config, log);
// BENCH_AUTH=real: the production authenticator (access tokens from /oauth2/token, secret tokens).
// Otherwise a trivial authenticator through the same seam, to measure SCIM without authentication.
const principal: ScimPrincipal = { kind: 'scim', tenantId, clientId: 'bench', credential: 'secret-token' };
const app = await buildApp(deps, process.env['BENCH_AUTH'] === 'real' ? {} : { scimAuthenticator: async () => principal });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${new URL(address).port}\n`);
const stop = async () => {
  await app.close();
  await deps.database.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
