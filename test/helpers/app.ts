import { Writable } from 'node:stream';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { testClock, type TestClock } from './clock.js';
import { contractCheckEnabled, installContractCheck } from './contract.js';
import { sharedTestDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  app: FastifyInstance;
  deps: Deps;
  clock: TestClock;
  testDb: TestDatabase;
  /** Every log line the app wrote, as raw JSON text, for tests that search the logs. */
  logLines: string[];
  /** Every route the app registered (Fastify's onRoute), for the contract test. */
  routes: RouteOptions[];
}

interface TestLike {
  teardown(fn: () => unknown): void;
}

/**
 * Config as a test wants it: the defaults, plus a fixed public URL, plus any overrides. Tenants' shares are
 * generous, as the test clock stands still (no bucket refills) and many tests send bursts as one tenant;
 * test/http/tenant-fair-share.test.ts sets its own.
 */
export const GENEROUS_TENANT_SHARE = {
  TENANT_MAX_CONCURRENT_REQUESTS: '100000',
  TENANT_REQUESTS_PER_SECOND: '1000000',
  TENANT_REQUEST_BURST: '1000000',
};

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ PUBLIC_BASE_URL: 'https://provisioning.test', LOG_LEVEL: 'debug', ...GENEROUS_TENANT_SHARE, ...env });
}

/** The whole app on the test file's own migrated database, with a clock the test controls. */
export async function buildTestApp(
  t: TestLike,
  options: {
    env?: Record<string, string>;
    clock?: TestClock;
    testDb?: TestDatabase;
    appOptions?: AppOptions;
    contractCheck?: boolean;
  } = {},
): Promise<TestApp> {
  const testDb = options.testDb ?? (await sharedTestDatabase());
  const clock = options.clock ?? testClock();
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const config = testConfig(options.env);
  const log = createLogger(config.logLevel, sink);
  const deps: Deps = { config, database: testDb.database, clock, log, metrics: createMetrics(testDb.database) };
  const routes: RouteOptions[] = [];
  // SCIM requests authenticate for real: createTestTenant gets each tenant an access token from /oauth2/token.
  const app = await buildApp(deps, { ...options.appOptions, onRoute: (route) => routes.push(route) });
  // Every inject() answer is checked against openapi/portal-provisioning.yaml; a mismatch rejects the inject.
  if (options.contractCheck ?? contractCheckEnabled()) installContractCheck(app);
  await app.ready();
  t.teardown(() => app.close());
  return { app, deps, clock, testDb, logLines, routes };
}
