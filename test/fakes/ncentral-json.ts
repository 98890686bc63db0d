/**
 * How the fake N-central writes its objects, following ../shared/ncentral-api.md §6 field by field:
 * org-unit ids as numbers (or strings when asked: several public clients coerce them), devices with their
 * denormalised customer/site names, assets with lower-case keys and string values.
 */
import type { FakeAssets, FakeCustomer, FakeDevice, FakeEstate, FakeServiceOrg, FakeSite } from './ncentral-estate.js';

export type Ids = 'numbers' | 'strings';

function idOut(value: number | null, ids: Ids): number | string | null {
  if (value === null) return null;
  return ids === 'strings' ? String(value) : value;
}

const SYSTEM_ID = 1;

const contact = {
  externalId: '',
  externalId2: null,
  contactFirstName: null,
  contactLastName: null,
  phone: '',
  contactTitle: null,
  contactEmail: null,
  contactPhone: null,
  contactPhoneExt: null,
  contactDepartment: null,
  street1: '',
  street2: null,
  city: null,
  stateProv: null,
  country: null,
  postalCode: null,
};

export function serviceOrgJson(so: FakeServiceOrg, ids: Ids): object {
  return { soId: idOut(so.soId, ids), soName: so.soName, orgUnitType: 'SO', parentId: idOut(SYSTEM_ID, ids), ...contact, isSystem: false, isServiceOrg: true };
}

export function customerJson(customer: FakeCustomer, ids: Ids): object {
  return {
    customerId: idOut(customer.customerId, ids),
    customerName: customer.customerName,
    orgUnitType: 'CUSTOMER',
    parentId: idOut(customer.soId, ids),
    ...contact,
    county: null,
    isSystem: false,
    isServiceOrg: false,
  };
}

export function siteJson(site: FakeSite, ids: Ids): object {
  return { siteId: idOut(site.siteId, ids), siteName: site.siteName, orgUnitType: 'SITE', parentId: idOut(site.customerId, ids), ...contact, county: null };
}

export function orgUnitJson(unit: { id: number; name: string; type: 'SO' | 'CUSTOMER' | 'SITE'; parentId: number }, ids: Ids): object {
  return { orgUnitId: idOut(unit.id, ids), orgUnitName: unit.name, orgUnitType: unit.type, parentId: idOut(unit.parentId, ids), ...contact };
}

export function deviceJson(device: FakeDevice, estate: FakeEstate, ids: Ids): object {
  const customer = estate.customers.get(device.customerId);
  const site = device.siteId === null ? undefined : estate.sites.get(device.siteId);
  const so = customer === undefined ? undefined : estate.serviceOrgs.get(customer.soId);
  const n = device.deviceId;
  return {
    deviceId: idOut(n, ids),
    uri: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    remoteControlUri: null,
    sourceUri: device.discoveredName,
    longName: device.longName,
    discoveredName: device.discoveredName,
    deviceClass: device.deviceClass,
    deviceClassLabel: device.deviceClass,
    description: '',
    isProbe: device.isProbe,
    osId: device.supportedOs.toLowerCase().replace(/\W+/g, '_'),
    supportedOs: device.supportedOs,
    supportedOsLabel: device.supportedOs,
    lastLoggedInUser: device.isProbe ? null : `user${n % 97}`,
    stillLoggedIn: 'false',
    licenseMode: 'Professional',
    orgUnitId: idOut(device.siteId ?? device.customerId, ids),
    soId: idOut(so?.soId ?? null, ids),
    soName: so?.soName ?? null,
    customerId: idOut(device.customerId, ids),
    customerName: customer?.customerName ?? null,
    siteId: idOut(device.siteId, ids),
    siteName: site?.siteName ?? null,
    applianceId: n % 1_000_000,
    lastApplianceCheckinTime: device.lastApplianceCheckinTime,
  };
}

export function assetsJson(device: FakeDevice, assets: FakeAssets, deleted = false): object {
  const n = device.deviceId;
  return {
    computersystem: {
      serialnumber: assets.serialNumber,
      netbiosname: device.discoveredName.toUpperCase().slice(0, 15),
      model: assets.model,
      manufacturer: assets.manufacturer,
      totalphysicalmemory: '17179869184',
    },
    os: { reportedos: assets.osName, osarchitecture: '64-bit', version: '10.0.22631' },
    networkadapter: {
      list: assets.macAddresses.map((mac, index) => ({
        _index: String(index),
        ipaddress: assets.ipAddresses[index] ?? '',
        macaddress: mac,
        description: 'Intel(R) Ethernet Connection',
        dnsserver: '10.0.0.1',
        dhcpserver: '10.0.0.1',
        gateway: '10.0.0.1',
      })),
    },
    device: { deviceid: String(n), longname: device.longName, deviceclass: device.deviceClass, uri: `10.0.0.${n & 255}`, deleted: deleted ? 'true' : 'false', lastlogin: '2026-03-23 21:33:26.278' },
    processor: { name: 'Intel(R) Core(TM) i7-1185G7', numberofcores: '4', numberofcpus: '1' },
    application: { list: [{ _index: '0', displayname: 'Windows Agent' }] },
    _extra: { customer: { customerid: String(device.customerId), customername: '' } },
  };
}
