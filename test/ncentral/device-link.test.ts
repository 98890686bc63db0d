import t from 'tap';
import { ncentralDeviceUrl } from '../../src/ncentral/device-link.js';

t.test("a device's N-central link is the UI's deep link on the connection's host", async (t) => {
  t.equal(
    ncentralDeviceUrl('https://nc.example.com', { customerId: '101', deviceId: '987654321' }),
    'https://nc.example.com/deepLinkAction.do?method=deviceDetails&customerID=101&deviceID=987654321',
  );
  t.equal(ncentralDeviceUrl('https://nc.example.com:8443', { customerId: '1', deviceId: '2' }), 'https://nc.example.com:8443/deepLinkAction.do?method=deviceDetails&customerID=1&deviceID=2');
});

t.test('no link without an https base URL or with ids that are not N-central numbers', async (t) => {
  t.equal(ncentralDeviceUrl(null, { customerId: '1', deviceId: '2' }), null);
  t.equal(ncentralDeviceUrl('http://nc.example.com', { customerId: '1', deviceId: '2' }), null, 'plain http');
  t.equal(ncentralDeviceUrl('javascript:alert(1)', { customerId: '1', deviceId: '2' }), null);
  t.equal(ncentralDeviceUrl('not a url', { customerId: '1', deviceId: '2' }), null);
  t.equal(ncentralDeviceUrl('https://nc.example.com', { customerId: null, deviceId: '2' }), null, 'a manual asset has no customer');
  t.equal(ncentralDeviceUrl('https://nc.example.com', { customerId: '1', deviceId: '2&x=<b>' }), null);
});
