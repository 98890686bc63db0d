/**
 * Entry point of a fake N-central in its own process (see ncentral-process.ts): the benchmark measures the
 * service's memory and CPU without the fake's 100,000 devices and JSON work in the same process.
 */
import { generateEstate, startFakeNcentral, type FakeEstate, type FakeNcentral } from './ncentral.js';
import type { ChildRequest, ChildStart } from './ncentral-process.js';

let fake: FakeNcentral | null = null;

function reply(id: number, result: unknown, error?: string): void {
  process.send?.({ id, result, error });
}

process.on('message', (message: ChildStart | ChildRequest) => {
  void (async () => {
    if (message.type === 'start') {
      const estate = generateEstate(message.estate);
      fake = await startFakeNcentral({ ...message.server, estate });
      reply(message.id, { url: fake.url, caPem: fake.caPem, userApiToken: fake.userApiToken, devices: estate.devices.size });
      return;
    }
    if (fake === null) return reply(message.id, null, 'not started');
    try {
      switch (message.type) {
        case 'stats':
          return reply(message.id, {
            statusCounts: fake.statusCounts(),
            maxObservedConcurrency: Object.fromEntries(
              ['/api/service-orgs', '/api/customers', '/api/sites', '/api/devices', '/api/devices/{id}', '/api/devices/{id}/assets'].map((p) => [p, fake?.maxObservedConcurrency(p) ?? 0]),
            ),
            rssBytes: process.memoryUsage().rss,
          });
        case 'options':
          Object.assign(fake.options, message.options);
          return reply(message.id, true);
        case 'expireAllTokens':
          fake.expireAllTokens();
          return reply(message.id, true);
        case 'estate': {
          // Calls one FakeEstate method by name (rename/move/delete/add…) with plain-data arguments.
          const method = (fake.estate as unknown as Record<string, unknown>)[message.method];
          if (typeof method !== 'function') return reply(message.id, null, `no estate method ${message.method}`);
          const result: unknown = (method as (...args: unknown[]) => unknown).apply(fake.estate satisfies FakeEstate, message.args);
          return reply(message.id, result ?? null);
        }
        case 'close':
          await fake.close();
          reply(message.id, true);
          process.disconnect?.();
          return;
      }
    } catch (error) {
      reply(message.id, null, error instanceof Error ? error.message : String(error));
    }
  })();
});
