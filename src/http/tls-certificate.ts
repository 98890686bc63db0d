import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

/** TLS_CERT_FILE and TLS_KEY_FILE: the certificate (chain) and private key the service serves https with. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** What the log says about the certificate being served (never the key). */
export interface ServedCertificate {
  subject: string;
  issuer: string;
  altNames: string | undefined;
  serialNumber: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

/** A pair that parsed and matched: ready for https.createServer or server.setSecureContext. */
export interface CertificatePair {
  cert: string;
  key: string;
  served: ServedCertificate;
  /** Tells one content of the two files from another, so an unchanged pair is not swapped in again. */
  digest: string;
}

export type PairReading =
  | { ok: true; pair: CertificatePair }
  | { ok: false; variable: 'TLS_CERT_FILE' | 'TLS_KEY_FILE'; problem: string };

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads and checks a certificate/key pair as the boot check and every renewal see it: both files readable, the
 * certificate file PEM (server certificate first, then any intermediates), the key an unencrypted PEM private
 * key matching that first certificate. Failures name the variable and say what to fix, in one line.
 */
export function readCertificatePair(files: TlsFiles): PairReading {
  const certText = readText(files.certFile);
  if (!certText.ok) return { ok: false, variable: 'TLS_CERT_FILE', problem: certText.problem };
  const keyText = readText(files.keyFile);
  if (!keyText.ok) return { ok: false, variable: 'TLS_KEY_FILE', problem: keyText.problem };

  const blocks = certText.text.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) {
    return { ok: false, variable: 'TLS_CERT_FILE', problem: `${files.certFile} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")` };
  }
  const chain: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      chain.push(new X509Certificate(block));
    } catch {
      return { ok: false, variable: 'TLS_CERT_FILE', problem: `certificate ${index + 1} in ${files.certFile} is not a valid X.509 certificate` };
    }
  }

  let key: KeyObject;
  try {
    key = createPrivateKey(keyText.text);
  } catch {
    const encrypted = /ENCRYPTED/.test(keyText.text);
    return {
      ok: false,
      variable: 'TLS_KEY_FILE',
      problem: encrypted
        ? `${files.keyFile} is an encrypted private key; give it unencrypted (e.g. \`openssl pkey -in key.pem -out key.pem\`)`
        : `${files.keyFile} is not a PEM private key ("-----BEGIN PRIVATE KEY-----")`,
    };
  }
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(key)) {
    const other = chain.slice(1).some((c) => c.checkPrivateKey(key));
    return {
      ok: false,
      variable: 'TLS_KEY_FILE',
      problem: other
        ? `${files.keyFile} matches a later certificate in TLS_CERT_FILE: put the server certificate first, then its intermediates`
        : `${files.keyFile} does not match the certificate in TLS_CERT_FILE (${oneLine(leaf.subject)})`,
    };
  }
  try {
    // What Node itself will be given: anything it would still refuse (an unsupported key type) is caught here.
    createSecureContext({ cert: certText.text, key: keyText.text });
  } catch (err) {
    return { ok: false, variable: 'TLS_CERT_FILE', problem: `Node cannot serve this pair: ${(err as Error).message}` };
  }
  const digest = createHash('sha256').update(certText.text).update('\0').update(keyText.text).digest('hex');
  return { ok: true, pair: { cert: certText.text, key: keyText.text, served: describe(leaf), digest } };
}

function readText(path: string): { ok: true; text: string } | { ok: false; problem: string } {
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return { ok: false, problem: `cannot read ${path} (${code})` };
  }
}

/** X509Certificate gives "CN=a\nO=b"; the log wants one line. */
const oneLine = (name: string): string => name.split('\n').filter(Boolean).join(', ');

function describe(leaf: X509Certificate): ServedCertificate {
  return {
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    altNames: leaf.subjectAltName,
    serialNumber: leaf.serialNumber,
    validFrom: new Date(leaf.validFrom).toISOString(),
    validTo: new Date(leaf.validTo).toISOString(),
    fingerprint256: leaf.fingerprint256,
  };
}
