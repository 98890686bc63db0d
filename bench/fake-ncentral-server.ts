/**
 * The fake N-central in a process of its own, so the benchmark's peak RSS is the sync's alone.
 * Prints one JSON line ({ url, caPem, userApiToken }) and serves until its parent closes stdin.
 */
import { generateEstate, startFakeNcentral } from '../test/fakes/ncentral.js';

const customers = Number(process.env['BENCH_CUSTOMERS'] ?? 1000);
const sitesPerCustomer = Number(process.env['BENCH_SITES_PER_CUSTOMER'] ?? 2);
const devices = Number(process.env['BENCH_DEVICES'] ?? 100_000);
const faultRate = Number(process.env['BENCH_FAULT_RATE'] ?? 0.05);

const estate = generateEstate({ customers, sitesPerCustomer, devices, seed: 42 });
const fake = await startFakeNcentral({
  estate,
  recordRequests: false,
  // 5% of requests answered 429 or 503, half each.
  faults: { rate429: faultRate / 2, rate503: faultRate / 2 },
});
process.stdout.write(`${JSON.stringify({ url: fake.url, caPem: fake.caPem, userApiToken: fake.userApiToken })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void fake.close().then(() => process.exit(0)));
