import { parseAllowedHosts, type AllowedHosts } from '../../src/ncentral/allowed-hosts.js';
import type { NcClientEvent } from '../../src/ncentral/api-types.js';
import { NcentralClient, NcentralError, type NcentralClientOptions } from '../../src/ncentral/client.js';
import { generateEstate, startFakeNcentral, type FakeEstate, type FakeNcentral, type FakeNcentralOptions } from '../fakes/ncentral.js';

interface TestLike {
  teardown(fn: () => unknown): void;
}

export interface FakeConnection {
  fake: FakeNcentral;
  client: NcentralClient;
  /** Every delay the client asked to sleep, in order (sleeps return at once). */
  sleeps: number[];
  events: NcClientEvent[];
}

/** NCENTRAL_ALLOWED_HOSTS for tests: the fakes listen on 127.0.0.1, which the default (public only) refuses. */
export const LOOPBACK_HOSTS = '127.0.0.1, ::1, localhost';

export function allowedHosts(text: string): AllowedHosts {
  const parsed = parseAllowedHosts(text);
  if (!parsed.ok) throw new Error(`bad allow-list ${text}: ${parsed.entry} ${parsed.reason}`);
  return parsed.value;
}

export const LOOPBACK_ALLOWED = allowedHosts(LOOPBACK_HOSTS);

/**
 * A fake N-central and a client pointed at it (trusting the fake's private CA), torn down with the test.
 * The client's sleeps return immediately and are recorded; its jitter is fixed at 0.5.
 */
export async function connectToFake(
  t: TestLike,
  fakeOptions: Partial<FakeNcentralOptions> & { estate?: FakeEstate } = {},
  clientOptions: Partial<NcentralClientOptions> = {},
): Promise<FakeConnection> {
  const estate = fakeOptions.estate ?? generateEstate({ customers: 5, sitesPerCustomer: 1, devices: 40 });
  const fake = await startFakeNcentral({ ...fakeOptions, estate });
  const sleeps: number[] = [];
  const events: NcClientEvent[] = [];
  const client = new NcentralClient({
    baseUrl: fake.url,
    userApiToken: fake.userApiToken,
    caPem: fake.caPem,
    allowPlainHttp: fake.url.startsWith('http:'),
    allowedHosts: LOOPBACK_ALLOWED,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    onEvent: (event) => events.push(event),
    ...clientOptions,
  });
  t.teardown(async () => {
    await client.close();
    await fake.close();
  });
  return { fake, client, sleeps, events };
}

/** Every item of every page of a listing. */
export async function collect<T>(pages: AsyncIterable<{ items: T[] }>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page.items);
  return all;
}

/** The NcentralError a call rejects with; anything else (or no rejection) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<NcentralError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof NcentralError) return error;
    throw error;
  }
  throw new Error('expected an NcentralError');
}
