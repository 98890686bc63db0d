/**
 * Credential lookup benchmark (issue 18): what a token request and a bearer check cost in statements and time,
 * now that the tenant comes from credential_tenants before the (tenant_id, …) lookup. Seeds N tenants, each with
 * an OAuth client and a secret token, then through the whole app (inject): a token request per client with the
 * process's caches cold, again warm; a SCIM request per secret token cold, warm (cached, no re-read) and after
 * CREDENTIAL_RECHECK_SECONDS (the periodic re-read); and an access-token re-read. Statements are counted by a
 * Kysely plugin that sees every query the service builds; only those naming a credential table or tenants count
 * for the bearer checks (the SCIM list's own statements are not auth).
 * `npx tsx bench/credentials.ts -- --tenants 2000 [--pglite] [--database-url postgres://…]`
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createMetrics } from '../src/metrics.js';
import { createClient, createSecretToken } from '../src/oauth/credential-service.js';
import { connectDatabase } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { createTenant } from '../src/tenants/service.js';
import { cliActor } from '../src/audit/request-actor.js';

const { values: args } = parseArgs({
  options: {
    tenants: { type: 'string', default: '2000' },
    pglite: { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const tenants = Number(args.tenants);
const url = args.pglite ? undefined : args['database-url'];
const schema = `bench_creds_${randomBytes(4).toString('hex')}`;
const CREDENTIAL_TABLES = /"(oauth_clients|oauth_client_secrets|secret_tokens|credential_tenants|tenants)"/;

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Counts the statements built through the service's Kysely instance: all of them, and those on credential tables. */
class StatementCounter implements KyselyPlugin {
  all = 0;
  credential = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.all += 1;
    if (CREDENTIAL_TABLES.test(JSON.stringify(args.node).replace(/"name":/g, ''))) this.credential += 1;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  if (url) await admin(`create schema ${schema}`);
  const database = await connectDatabase(url ? { databaseUrl: url, schema, poolMax: 10 } : {});
  try {
    await migrateToLatest(database.db);
    let nowMs = Date.now();
    const clock = { now: () => new Date(nowMs) };
    const counter = new StatementCounter();
    const counted = { ...database, db: database.db.withPlugin(counter) };
    const config = loadConfig({ PUBLIC_BASE_URL: 'https://bench.test', LOG_LEVEL: 'warn', TENANT_REQUESTS_PER_SECOND: '1000000', TENANT_REQUEST_BURST: '1000000', TENANT_MAX_CONCURRENT_REQUESTS: '100000', TOKEN_RATE_LIMIT_PER_ADDRESS: '1000000' });
    const app = await buildApp({ config, database: counted, clock, log: pino({ level: 'warn' }), metrics: createMetrics(database) });
    await app.ready();

    const seeded: Array<{ clientId: string; clientSecret: string; secretToken: string }> = [];
    const seedStarted = performance.now();
    for (let i = 0; i < tenants; i += 1) {
      const tenant = await createTenant({ db: database.db, clock }, `bench-${randomUUID()}`, cliActor('bench'));
      const client = await createClient({ db: database.db, clock }, tenant.id, cliActor('bench'));
      const { token } = await createSecretToken({ db: database.db, clock }, tenant.id, cliActor('bench'));
      seeded.push({ ...client, secretToken: token });
    }
    console.log(`seeded ${tenants} tenants, each with a client and a secret token, in ${(performance.now() - seedStarted).toFixed(0)} ms (${url ? 'PostgreSQL' : 'PGlite'})`);

    const measure = async (label: string, only: 'all' | 'credential', run: (i: number) => Promise<void>) => {
      const times: number[] = [];
      const before = counter[only];
      for (let i = 0; i < seeded.length; i += 1) {
        const started = performance.now();
        await run(i);
        times.push(performance.now() - started);
      }
      const perRequest = (counter[only] - before) / seeded.length;
      console.log(`  ${label.padEnd(48)} ${perRequest.toFixed(2)} ${only === 'all' ? 'statements' : 'auth statements'}/request, median ${median(times).toFixed(2)} ms`);
    };
    const accessTokens: string[] = [];
    const tokenRequest = async (i: number) => {
      const c = seeded[i];
      if (!c) return;
      const res = await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }).toString(),
      });
      if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
      accessTokens[i] = (res.json() as { access_token: string }).access_token;
    };
    const scimAs = (bearer: (i: number) => string | undefined) => async (i: number) => {
      const res = await app.inject({ method: 'GET', url: '/scim/v2/Users?count=1', headers: { authorization: `Bearer ${bearer(i) ?? ''}` } });
      if (res.statusCode !== 200) throw new Error(`scim: ${res.statusCode} ${res.body}`);
    };
    const recheck = () => {
      nowMs += (config.credentialRecheckSeconds + 1) * 1000;
    };
    console.log('per request, over every tenant:');
    await measure('token request, caches cold', 'all', tokenRequest);
    await measure('token request, caches warm', 'all', tokenRequest);
    await measure('secret-token bearer, first use', 'credential', scimAs((i) => seeded[i]?.secretToken));
    await measure('secret-token bearer, cached', 'credential', scimAs((i) => seeded[i]?.secretToken));
    recheck();
    await measure('secret-token bearer, re-read after the recheck', 'credential', scimAs((i) => seeded[i]?.secretToken));
    await measure('access-token bearer, first use', 'credential', scimAs((i) => accessTokens[i]));
    recheck();
    await measure('access-token bearer, re-read after the recheck', 'credential', scimAs((i) => accessTokens[i]));
    await app.close();
  } finally {
    await database.close();
    if (url) await admin(`drop schema if exists ${schema} cascade`);
  }
}

await main();
