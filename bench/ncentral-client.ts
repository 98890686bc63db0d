/**
 * The N-central client alone against the fake (in its own process): a full listing of 1,000 customers,
 * 2,000 sites and 100,000 devices plus one assets call per device, with 5% of answers 429 or 503.
 * This is the floor under `npm run bench:sync`: the sync cannot be faster than its client.
 *   npx tsx bench/ncentral-client.ts [devices=100000] [callers=32]
 */
import os from 'node:os';
import { parseAllowedHosts, PUBLIC_ONLY } from '../src/ncentral/allowed-hosts.js';
import { NcentralClient } from '../src/ncentral/client.js';
import { startFakeNcentralProcess } from '../test/fakes/ncentral-process.js';

const devices = Number(process.argv[2] ?? 100_000);
const callers = Number(process.argv[3] ?? 32);
const faultRate = Number(process.env["FAULT_RATE"] ?? 0.05);

const fake = await startFakeNcentralProcess({
  estate: { customers: 1000, sitesPerCustomer: 2, devices, seed: 42 },
  server: { faults: { rate429: faultRate / 2, rate503: faultRate / 2 }, recordRequests: false, maxConcurrentPerEndpoint: 5 },
});
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);
// The fake listens on 127.0.0.1, which only an allow-list entry opens (NCENTRAL_ALLOWED_HOSTS).
const loopback = parseAllowedHosts('127.0.0.1');
const allowedHosts = loopback.ok ? loopback.value : PUBLIC_ONLY;
const client = new NcentralClient({ baseUrl: fake.url, userApiToken: fake.userApiToken, caPem: fake.caPem, pageSize: 1000, allowedHosts });

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
const cpuAtStart = process.cpuUsage();
let started = performance.now();
const ids: string[] = [];
let counts = { serviceOrgs: 0, customers: 0, sites: 0 };
for await (const page of client.serviceOrgs()) counts.serviceOrgs += page.items.length;
for await (const page of client.customers()) counts.customers += page.items.length;
for await (const page of client.sites()) counts.sites += page.items.length;
for await (const page of client.devices()) for (const device of page.items) ids.push(device.deviceId);
const listing = seconds(started);

started = performance.now();
let next = 0;
let withAssets = 0;
await Promise.all(
  Array.from({ length: callers }, async () => {
    while (next < ids.length) {
      const id = ids[next++];
      if (id !== undefined && (await client.deviceAssets(id)) !== null) withAssets += 1;
    }
  }),
);
const assets = seconds(started);
clearInterval(sampler);
const stats = client.stats();
const fakeStats = await fake.stats();
console.log(`listing: ${counts.serviceOrgs} SOs, ${counts.customers} customers, ${counts.sites} sites, ${ids.length} devices in ${listing} s`);
console.log(`assets: ${ids.length} calls (${withAssets} with inventory) in ${assets} s with ${callers} callers`);
console.log(`client: ${stats.requests} requests, ${stats.retries} retries, ${stats.pages} pages, ${stats.tokenRenewals} token renewals`);
console.log(`fake answers: ${JSON.stringify(fakeStats.statusCounts)}; max in flight: ${JSON.stringify(fakeStats.maxObservedConcurrency)}`);
const cpu = process.cpuUsage(cpuAtStart);
console.log(`client CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs)`);
console.log(`peak RSS: client process ${(peakRss / 1048576).toFixed(0)} MB, fake process ${(fakeStats.rssBytes / 1048576).toFixed(0)} MB`);
await client.close();
await fake.close();
