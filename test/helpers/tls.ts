import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, type RequestOptions } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';

/** A private CA a test makes with the openssl CLI (node:crypto cannot issue X.509 certificates). */
export interface TestCa {
  certFile: string;
  keyFile: string;
  pem: string;
}

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  serialNumber: string;
}

const openssl = (args: string[]): void => {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

export function makeTestCa(dir: string, name = 'Test CA'): TestCa {
  const certFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca.key');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`]);
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/** A server certificate for localhost and 127.0.0.1 signed by `ca`, written as `<name>.pem`/`<name>.key` in dir. */
export function issueCertificate(ca: TestCa, dir: string, name: string, options: { commonName: string; serialHex: string }): IssuedCertificate {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${options.commonName}`]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', `0x${options.serialHex}`, '-days', '2', '-extfile', ext, '-out', certFile]);
  return { certFile, keyFile, serialNumber: options.serialHex.toUpperCase() };
}

/** The certificate a fresh TLS connection to 127.0.0.1:port is shown, verified against `ca`. */
export async function servedCertificate(port: number, ca: string): Promise<{ serialNumber: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve({ serialNumber: peer.serialNumber.toUpperCase(), subject: String(peer.subject.CN ?? '') });
    });
    socket.on('error', reject);
  });
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  socket: TLSSocket;
  /** The certificate this connection was shown, and who issued it. */
  serialNumber: string;
  issuer: string;
  reusedSocket: boolean;
}

/** One https request with node:https (fetch cannot be told which CA to trust), SNI `localhost` unless given. */
export function httpsRequest(options: RequestOptions & { body?: string }): Promise<HttpsAnswer> {
  const { body: payload, ...rest } = options;
  return new Promise((resolve, reject) => {
    const req = request({ servername: 'localhost', ...rest }, (res) => {
      // A keep-alive agent takes the socket back once the body is read: note it (and its peer) now.
      const socket = res.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          socket,
          serialNumber: peer.serialNumber.toUpperCase(),
          issuer: String(peer.issuer.CN ?? ''),
          reusedSocket: req.reusedSocket,
        }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}
