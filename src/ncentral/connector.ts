import { NcentralClient, type NcentralClientOptions } from './client.js';
import type { NcentralSource } from './source.js';
import { verifyConnection } from './verify.js';

/** How the service reaches an N-central server: production builds the REST client; tests may substitute. */
export interface ConnectionSecret {
  baseUrl: string;
  userApiToken: string;
  caPem: string | null;
}

export interface VerifyProblem {
  code: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  ncentralVersion: string | null;
  customers: number | null;
  devices: number | null;
  problems: VerifyProblem[];
  /** Worth saying, no reason to refuse (e.g. `versionUnknown`). */
  warnings?: VerifyProblem[];
}

export interface NcentralConnector {
  open(secret: ConnectionSecret): NcentralSource;
  verify(secret: ConnectionSecret): Promise<VerifyReport>;
}

/** Wraps the REST client as the sync's source. */
export function clientSource(client: NcentralClient): NcentralSource {
  return {
    customers: () => client.customers(),
    sites: () => client.sites(),
    devices: () => client.devices(),
    lookUpDevice: async (id) => (await client.lookUpDevice(id)).answer,
    deviceAssets: (id) => client.deviceAssets(id),
    retries: () => client.stats().retries,
    async close() {
      await client.logout();
      await client.close();
    },
  };
}

export type ClientTuning = Omit<NcentralClientOptions, 'baseUrl' | 'userApiToken' | 'caPem'>;

export function restConnector(
  tuning: ClientTuning = {},
  verifyWith: (client: NcentralClient) => Promise<VerifyReport> = (client) => verifyConnection(client),
): NcentralConnector {
  const build = (s: ConnectionSecret): NcentralClient =>
    // 1000 is the documented ceiling (ncentral-api.md §5); the client reads back what the server really used.
    new NcentralClient({ pageSize: 1000, ...tuning, baseUrl: s.baseUrl, userApiToken: s.userApiToken, ...(s.caPem ? { caPem: s.caPem } : {}) });
  return {
    open: (s) => clientSource(build(s)),
    async verify(s) {
      const client = build(s);
      try {
        return await verifyWith(client);
      } finally {
        await client.logout();
        await client.close();
      }
    },
  };
}
