import type { NcentralSource, SourceCustomer, SourceDevice, SourceDeviceAssets, SourcePage, SourceSite } from '../../src/ncentral/source.js';

/** A small N-central in memory for sync-engine tests: mutable estate, paging, call counters, injected failures. */
export interface MemoryEstate {
  customers: SourceCustomer[];
  sites: SourceSite[];
  devices: SourceDevice[];
  assets: Map<string, SourceDeviceAssets>;
}

export interface MemorySource extends NcentralSource {
  estate: MemoryEstate;
  calls: { assets: number; device: number; pages: number };
  /** What the by-id lookup answers for a device no longer listed (default notFound); 'error' throws. */
  goneAnswers: Map<string, 'notFound' | 'deleted' | 'noPermission' | 'present' | 'error'>;
  /** Throw on the device page with this number (1-based), once. */
  failOnDevicePage: number | null;
  pageSize: number;
}

export function device(id: string, customerId: string, siteId: string | null = null, longName = `PC-${id}`): SourceDevice {
  return {
    deviceId: id,
    longName,
    customerId,
    siteId,
    orgUnitId: siteId ?? customerId,
    deviceClass: 'Workstations - Windows',
    supportedOs: 'Windows 11',
    isProbe: false,
    lastApplianceCheckinTime: new Date('2026-01-01T00:00:00Z'),
  };
}

export function assetsFor(id: string, serial: string | null = `SN-${id}`): SourceDeviceAssets {
  return { serialNumber: serial, model: 'OptiPlex 7090', manufacturer: 'Dell Inc.', macAddresses: [`00:11:22:33:44:${id.slice(-2).padStart(2, '0')}`], osName: 'Windows 11 Pro' };
}

function* pages<T>(items: T[], size: number): Generator<SourcePage<T>> {
  const totalPages = Math.max(1, Math.ceil(items.length / size));
  for (let n = 1; n <= totalPages; n++) {
    yield { items: items.slice((n - 1) * size, n * size), pageNumber: n, pageSize: size, totalItems: items.length, totalPages };
  }
}

export function memorySource(estate: MemoryEstate, pageSize = 3): MemorySource {
  const src: MemorySource = {
    estate,
    calls: { assets: 0, device: 0, pages: 0 },
    failOnDevicePage: null,
    goneAnswers: new Map(),
    pageSize,
    async *customers() {
      yield* pages(estate.customers, src.pageSize);
    },
    async *sites() {
      yield* pages(estate.sites, src.pageSize);
    },
    async *devices() {
      for (const page of pages([...estate.devices], src.pageSize)) {
        src.calls.pages++;
        if (src.failOnDevicePage === page.pageNumber) {
          src.failOnDevicePage = null;
          throw new Error('N-central answered 503 too many times');
        }
        yield page;
      }
    },
    async lookUpDevice(id) {
      src.calls.device++;
      const scripted = src.goneAnswers.get(id);
      if (scripted === 'error') throw new Error('N-central answered 503 too many times');
      if (scripted !== undefined) return scripted;
      return estate.devices.some((d) => d.deviceId === id) ? 'present' : 'notFound';
    },
    async deviceAssets(id) {
      src.calls.assets++;
      return estate.assets.get(id) ?? null;
    },
    retries: () => 0,
    close: async () => undefined,
  };
  return src;
}

/** Two customers (one with two sites) and five devices, each with an inventory. */
export function smallEstate(): MemoryEstate {
  const devices = [
    device('1001', '100'),
    device('1002', '100', '110'),
    device('1003', '100', '111'),
    device('2001', '200'),
    device('2002', '200'),
  ];
  return {
    customers: [
      { customerId: '100', customerName: 'Acme Corp', soId: '50' },
      { customerId: '200', customerName: 'Globex', soId: '50' },
    ],
    sites: [
      { siteId: '110', siteName: 'Acme Berlin', customerId: '100' },
      { siteId: '111', siteName: 'Acme Paris', customerId: '100' },
    ],
    devices,
    assets: new Map(devices.map((d) => [d.deviceId, assetsFor(d.deviceId)])),
  };
}
