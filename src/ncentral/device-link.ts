/**
 * The address of a device's page in N-central's own web UI, for "Open in N-central" links.
 *
 * N-central's UI takes deep links at `/deepLinkAction.do?method=deviceDetails&customerID=…&deviceID=…` on the
 * same host as the API (one public client, Ruderali/npycentral `Device.get_deep_link_url`, builds exactly this;
 * N-able's REST docs do not describe UI links, so this is [one source] in /work/shared/ncentral-api.md's terms).
 * We give a link only when the stored base URL is https and both ids are plain numbers, so nothing we did not
 * read from N-central's id space ends up in the URL.
 */
export function ncentralDeviceUrl(baseUrl: string | null | undefined, device: { customerId: string | null; deviceId: string | null }): string | null {
  if (!baseUrl || !device.customerId || !device.deviceId) return null;
  if (!/^\d{1,19}$/.test(device.customerId) || !/^\d{1,19}$/.test(device.deviceId)) return null;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') return null;
  const link = new URL('/deepLinkAction.do', url.origin);
  link.search = new URLSearchParams({ method: 'deviceDetails', customerID: device.customerId, deviceID: device.deviceId }).toString();
  return link.toString();
}
