/**
 * The data behind the fake N-central: service organizations → customers → sites → devices
 * (../shared/ncentral-api.md §1). Ids come from one shared org-unit id space; device ids are large and not
 * contiguous. Tests mutate it between calls (rename, move, delete, add) the way an MSP would in N-central.
 * Kept lean for the benchmark (100,000 devices): a device is one small object; its inventory is derived
 * from its id unless a test sets one.
 */

export interface FakeServiceOrg {
  soId: number;
  soName: string;
}

export interface FakeCustomer {
  customerId: number;
  customerName: string;
  soId: number;
}

export interface FakeSite {
  siteId: number;
  siteName: string;
  customerId: number;
}

export interface FakeAssets {
  serialNumber: string;
  model: string;
  manufacturer: string;
  macAddresses: string[];
  ipAddresses: string[];
  osName: string;
}

export interface FakeDevice {
  deviceId: number;
  longName: string;
  discoveredName: string;
  customerId: number;
  siteId: number | null;
  deviceClass: string;
  supportedOs: string;
  isProbe: boolean;
  /** As the wire carries it: usually without a zone, sometimes `Z` or an offset, sometimes null. */
  lastApplianceCheckinTime: string | null;
}

export interface NewDevice {
  customerId: number | string;
  siteId?: number | string | null;
  longName?: string;
  discoveredName?: string;
  deviceClass?: string;
  supportedOs?: string;
  isProbe?: boolean;
  lastApplianceCheckinTime?: string | null;
  assets?: Partial<FakeAssets>;
}

/** mulberry32: small, fast, seedable — the same seed gives the same estate and the same faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLASSES: readonly [string, string, string][] = [
  ['Workstations - Windows', 'WS', 'Microsoft Windows 11 Pro'],
  ['Laptop - Windows', 'LT', 'Microsoft Windows 10 Pro'],
  ['Servers - Windows', 'SRV', 'Microsoft Windows Server 2022 Standard'],
  ['Workstations - Mac OS X', 'MAC', 'macOS 14 Sonoma'],
  ['Servers - Generic', 'LNX', 'Ubuntu 22.04 LTS'],
];
const MAKERS: readonly [string, string][] = [
  ['Dell Inc.', 'OptiPlex 7090'],
  ['HP', 'EliteBook 840 G8'],
  ['LENOVO', '20XW0026GE'],
  ['Microsoft Corporation', 'Surface Laptop 5'],
  ['VMware, Inc.', 'VMware Virtual Platform'],
];

function id(value: number | string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`fake N-central: not an id: ${String(value)}`);
  return n;
}

export class FakeEstate {
  readonly serviceOrgs = new Map<number, FakeServiceOrg>();
  readonly customers = new Map<number, FakeCustomer>();
  readonly sites = new Map<number, FakeSite>();
  readonly devices = new Map<number, FakeDevice>();
  /** Devices deleted from the estate, kept for servers that still answer for them by id (`device.deleted`). */
  readonly deletedDevices = new Map<number, FakeDevice>();
  /** Inventories set by tests; others are derived from the device id. */
  private readonly assetOverrides = new Map<number, Partial<FakeAssets>>();
  private nextOrgUnitId: number;
  private nextDeviceId: number;
  private cachedDevices: FakeDevice[] | null = null;
  private cachedCustomers: FakeCustomer[] | null = null;
  private cachedSites: FakeSite[] | null = null;
  private deviceCounter = 0;

  constructor(options: { firstOrgUnitId?: number; firstDeviceId?: number } = {}) {
    this.nextOrgUnitId = options.firstOrgUnitId ?? 50;
    this.nextDeviceId = options.firstDeviceId ?? 1_000_000_000;
  }

  // --- reading, in id order (the fake's default sort) -------------------------------------------------

  listServiceOrgs(): FakeServiceOrg[] {
    return [...this.serviceOrgs.values()];
  }

  listCustomers(): FakeCustomer[] {
    this.cachedCustomers ??= [...this.customers.values()].sort((a, b) => a.customerId - b.customerId);
    return this.cachedCustomers;
  }

  listSites(): FakeSite[] {
    this.cachedSites ??= [...this.sites.values()].sort((a, b) => a.siteId - b.siteId);
    return this.cachedSites;
  }

  listDevices(): FakeDevice[] {
    this.cachedDevices ??= [...this.devices.values()].sort((a, b) => a.deviceId - b.deviceId);
    return this.cachedDevices;
  }

  device(deviceId: number | string): FakeDevice | undefined {
    return this.devices.get(id(deviceId));
  }

  customer(customerId: number | string): FakeCustomer | undefined {
    return this.customers.get(id(customerId));
  }

  site(siteId: number | string): FakeSite | undefined {
    return this.sites.get(id(siteId));
  }

  /** The inventory the assets call reports (null for probes, which have none). */
  assets(deviceId: number | string): FakeAssets | null {
    const device = this.devices.get(id(deviceId)) ?? this.deletedDevices.get(id(deviceId));
    if (device === undefined || device.isProbe) return null;
    const n = device.deviceId;
    const [manufacturer, model] = MAKERS[n % MAKERS.length] ?? ['Dell Inc.', 'OptiPlex 7090'];
    const mac = (n * 2654435761) >>> 0;
    const hex = `0050${mac.toString(16).padStart(8, '0')}`.toUpperCase();
    const derived: FakeAssets = {
      // Every 50th device carries the BIOS placeholder a real estate is full of.
      serialNumber: n % 50 === 7 ? 'To Be Filled By O.E.M.' : `SN${n.toString(36).toUpperCase()}`,
      model,
      manufacturer,
      macAddresses: [hex.match(/../g)?.join(':') ?? hex],
      ipAddresses: [`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`],
      osName: device.supportedOs,
    };
    return { ...derived, ...this.assetOverrides.get(n) };
  }

  // --- changing, as an MSP does in N-central ----------------------------------------------------------

  addServiceOrg(soName: string): FakeServiceOrg {
    const so = { soId: this.nextOrgUnitId++, soName };
    this.serviceOrgs.set(so.soId, so);
    return so;
  }

  addCustomer(customerName: string, soId?: number | string): FakeCustomer {
    const so = soId === undefined ? this.serviceOrgs.values().next().value : this.serviceOrgs.get(id(soId));
    if (so === undefined) throw new Error('fake N-central: add a service organization first');
    const customer = { customerId: this.nextOrgUnitId++, customerName, soId: so.soId };
    this.customers.set(customer.customerId, customer);
    this.cachedCustomers = null;
    return customer;
  }

  renameCustomer(customerId: number | string, customerName: string): void {
    this.must(this.customers.get(id(customerId)), 'customer').customerName = customerName;
  }

  /** Like N-central: the customer's sites and devices go with it. */
  deleteCustomer(customerId: number | string): void {
    const cid = id(customerId);
    this.customers.delete(cid);
    for (const site of [...this.sites.values()]) if (site.customerId === cid) this.deleteSite(site.siteId);
    for (const device of [...this.devices.values()]) if (device.customerId === cid) this.deleteDevice(device.deviceId);
    this.cachedCustomers = null;
  }

  addSite(customerId: number | string, siteName: string): FakeSite {
    const customer = this.must(this.customers.get(id(customerId)), 'customer');
    const site = { siteId: this.nextOrgUnitId++, siteName, customerId: customer.customerId };
    this.sites.set(site.siteId, site);
    this.cachedSites = null;
    return site;
  }

  renameSite(siteId: number | string, siteName: string): void {
    this.must(this.sites.get(id(siteId)), 'site').siteName = siteName;
  }

  deleteSite(siteId: number | string): void {
    const sid = id(siteId);
    this.sites.delete(sid);
    for (const device of [...this.devices.values()]) if (device.siteId === sid) this.deleteDevice(device.deviceId);
    this.cachedSites = null;
  }

  addDevice(input: NewDevice): FakeDevice {
    const customer = this.must(this.customers.get(id(input.customerId)), 'customer');
    const siteId = input.siteId === undefined || input.siteId === null ? null : id(input.siteId);
    if (siteId !== null && this.sites.get(siteId)?.customerId !== customer.customerId) {
      throw new Error('fake N-central: the site does not belong to that customer');
    }
    const index = this.deviceCounter++;
    const [deviceClass, prefix, os] = CLASSES[index % CLASSES.length] ?? CLASSES[0] ?? ['Other', 'DEV', 'Other'];
    // Ids grow with gaps, like a server that has seen deletions and other tenants' devices.
    const deviceId = this.nextDeviceId;
    this.nextDeviceId += 1 + (index % 7);
    const isProbe = input.isProbe ?? false;
    const name = input.longName ?? `${isProbe ? 'PROBE' : prefix}-${String(index + 1).padStart(6, '0')}`;
    const device: FakeDevice = {
      deviceId,
      longName: name,
      discoveredName: input.discoveredName ?? name.toLowerCase(),
      customerId: customer.customerId,
      siteId,
      deviceClass: input.deviceClass ?? (isProbe ? 'Probe' : deviceClass),
      supportedOs: input.supportedOs ?? os,
      isProbe,
      lastApplianceCheckinTime: input.lastApplianceCheckinTime === undefined ? checkinFor(index) : input.lastApplianceCheckinTime,
    };
    this.devices.set(deviceId, device);
    if (input.assets !== undefined) this.assetOverrides.set(deviceId, input.assets);
    this.cachedDevices = null;
    return device;
  }

  renameDevice(deviceId: number | string, longName: string): void {
    this.must(this.devices.get(id(deviceId)), 'device').longName = longName;
  }

  /** Keeps the device id (N-central moves a device between customers/sites without re-registering it). */
  moveDevice(deviceId: number | string, to: { customerId: number | string; siteId?: number | string | null }): void {
    const device = this.must(this.devices.get(id(deviceId)), 'device');
    const customer = this.must(this.customers.get(id(to.customerId)), 'customer');
    const siteId = to.siteId === undefined || to.siteId === null ? null : id(to.siteId);
    if (siteId !== null && this.sites.get(siteId)?.customerId !== customer.customerId) {
      throw new Error('fake N-central: the site does not belong to that customer');
    }
    device.customerId = customer.customerId;
    device.siteId = siteId;
  }

  deleteDevice(deviceId: number | string): void {
    const did = id(deviceId);
    const device = this.devices.get(did);
    if (device !== undefined) this.deletedDevices.set(did, device);
    if (this.devices.delete(did)) this.cachedDevices = null;
  }

  setAssets(deviceId: number | string, assets: Partial<FakeAssets>): void {
    const did = id(deviceId);
    this.must(this.devices.get(did), 'device');
    this.assetOverrides.set(did, { ...this.assetOverrides.get(did), ...assets });
  }

  private must<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`fake N-central: no such ${what}`);
    return value;
  }
}

/** Check-in times in the forms seen on the wire (§6.5): mostly zone-less UTC, some `Z`, some offset, some null. */
function checkinFor(index: number): string | null {
  const base = Date.UTC(2026, 2, 23, 21, 33, 26, 278) - (index % 1000) * 61_000;
  const form = index % 20;
  if (form === 19) return null;
  const iso = new Date(base).toISOString();
  if (form === 17) return iso;
  if (form === 18) {
    // The same instant written at +02:00.
    const local = new Date(base + 2 * 3_600_000).toISOString().slice(0, 23);
    return `${local}+02:00`;
  }
  return iso.slice(0, 23);
}

export interface EstateOptions {
  serviceOrgs?: number;
  customers: number;
  /** Sites per customer: one number for all, or a list cycled over the customers. */
  sitesPerCustomer?: number | number[];
  devices: number;
  /** Share of devices that are probes (no assets). Default 0.01. */
  probeShare?: number;
  seed?: number;
}

/** A deterministic estate; 1,000 customers, 2,000 sites and 100,000 devices take well under a second. */
export function generateEstate(options: EstateOptions): FakeEstate {
  const random = seededRandom(options.seed ?? 1);
  const estate = new FakeEstate();
  const soCount = Math.max(1, options.serviceOrgs ?? 1);
  const sos: FakeServiceOrg[] = [];
  for (let i = 0; i < soCount; i += 1) sos.push(estate.addServiceOrg(soCount === 1 ? 'Default SO' : `Service Org ${i + 1}`));
  const width = String(options.customers).length;
  const customers: { customer: FakeCustomer; sites: FakeSite[] }[] = [];
  for (let i = 0; i < options.customers; i += 1) {
    const so = sos[i % sos.length] ?? sos[0];
    if (so === undefined) break;
    customers.push({ customer: estate.addCustomer(`Customer ${String(i + 1).padStart(width, '0')}`, so.soId), sites: [] });
  }
  const perCustomer = options.sitesPerCustomer ?? 0;
  customers.forEach((entry, i) => {
    const count = Array.isArray(perCustomer) ? (perCustomer[i % Math.max(1, perCustomer.length)] ?? 0) : perCustomer;
    for (let k = 0; k < count; k += 1) entry.sites.push(estate.addSite(entry.customer.customerId, `Branch ${k + 1}`));
  });
  const probeShare = options.probeShare ?? 0.01;
  for (let i = 0; i < options.devices && customers.length > 0; i += 1) {
    const entry = customers[Math.floor(random() * customers.length)] ?? customers[0];
    if (entry === undefined) break;
    // About half the devices of a customer with sites sit in one of them; the rest hang off the customer.
    const site = entry.sites.length > 0 && random() < 0.5 ? entry.sites[Math.floor(random() * entry.sites.length)] : undefined;
    estate.addDevice({ customerId: entry.customer.customerId, siteId: site?.siteId ?? null, isProbe: random() < probeShare });
  }
  return estate;
}
