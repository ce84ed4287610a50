import { X509Certificate, createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as der from './der.js';

/** A local certificate authority: its PEM files on disk and in memory. */
export interface CertificateAuthority {
  caFile: string;
  caCertPem: string;
  caKeyPem: string;
}

const DAY_MS = 86_400_000;
const ECDSA_SHA256 = der.sequence(der.oid('1.2.840.10045.4.3.2'));
const CN = '2.5.4.3';
const O = '2.5.4.10';

/**
 * Reuses `dir/ca.pem` + `dir/ca-key.pem` when both exist, else creates a self-signed ECDSA P-256 CA (10 years)
 * named `commonName`. The key file is created with O_EXCL first, so two processes racing on one dir end up sharing
 * one CA.
 */
export async function ensureCertificateAuthority(dir: string, commonName = 'imagewarden ARM emulator CA'): Promise<CertificateAuthority> {
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca-key.pem');
  const existing = await readPair(caFile, keyFile);
  if (existing) return existing;

  await mkdir(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    await writeFile(keyFile, caKeyPem, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return waitForPair(caFile, keyFile); // another process won the race and is writing ca.pem
  }
  await chmod(keyFile, 0o600);
  const subject = der.name([[CN, commonName], [O, 'imagewarden']]);
  const now = Date.now();
  const caCertPem = buildCertificate({
    issuer: subject,
    subject,
    publicKey,
    signingKey: privateKey,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    extensions: [
      extension('2.5.29.19', true, der.sequence(der.boolean(true), der.integer(0))),
      extension('2.5.29.15', true, keyUsage(0x06, 1)), // keyCertSign | cRLSign
      extension('2.5.29.14', false, der.octetString(keyIdentifier(publicKey))),
    ],
  });
  // Write then rename, so a concurrent reader never sees a half-written certificate.
  const tmp = `${caFile}.${process.pid}.tmp`;
  await writeFile(tmp, caCertPem);
  await rename(tmp, caFile);
  return { caFile, caCertPem, caKeyPem };
}

/** Issues a TLS server certificate signed by the CA for localhost, 127.0.0.1, ::1 and the given host names. */
export async function issueServerCertificate(
  ca: Pick<CertificateAuthority, 'caCertPem' | 'caKeyPem'>,
  hostnames: string[],
): Promise<{ certPem: string; keyPem: string }> {
  const caCert = new X509Certificate(ca.caCertPem);
  const caKey = createPrivateKey(ca.caKeyPem);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Date.now();
  const certPem = buildCertificate({
    issuer: subjectOf(caCert),
    subject: der.name([[CN, 'localhost'], [O, 'imagewarden ARM emulator']]),
    publicKey,
    signingKey: caKey,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 365 * DAY_MS),
    extensions: [
      extension('2.5.29.19', true, der.sequence()),
      extension('2.5.29.15', true, keyUsage(0xa0, 5)), // digitalSignature | keyEncipherment
      extension('2.5.29.37', false, der.sequence(der.oid('1.3.6.1.5.5.7.3.1'))), // serverAuth
      extension('2.5.29.17', false, subjectAltNames(hostnames)),
      extension('2.5.29.35', false, der.sequence(der.tlv(0x80, keyIdentifier(caCert.publicKey)))),
    ],
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

interface CertificateParams {
  issuer: der.Der;
  subject: der.Der;
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: der.Der[];
}

function buildCertificate(params: CertificateParams): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive, no sign byte needed
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)), // v3
    der.integerHex(serial.toString('hex')),
    ECDSA_SHA256,
    params.issuer,
    der.sequence(der.time(params.notBefore), der.time(params.notAfter)),
    params.subject,
    params.publicKey.export({ type: 'spki', format: 'der' }),
    der.explicit(3, der.sequence(...params.extensions)),
  );
  const signature = sign('sha256', tbs, params.signingKey); // DER-encoded ECDSA-Sig-Value, as X.509 wants
  const cert = der.sequence(tbs, ECDSA_SHA256, der.bitString(signature));
  const base64 = cert.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${base64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

function extension(id: string, critical: boolean, value: der.Der): der.Der {
  return critical
    ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value))
    : der.sequence(der.oid(id), der.octetString(value));
}

/** KeyUsage as a one-byte named-bit BIT STRING; DER wants the trailing zero bits declared unused. */
function keyUsage(bits: number, unusedBits: number): der.Der {
  return der.tlv(0x03, Buffer.from([unusedBits, bits]));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = der.readChildren(publicKey.export({ type: 'spki', format: 'der' }))[0];
  const bits = spki ? der.readChildren(spki.content)[1] : undefined;
  if (!bits) throw new Error('unexpected SubjectPublicKeyInfo encoding');
  return createHash('sha1').update(bits.content.subarray(1)).digest();
}

/** The issuer's subject exactly as encoded in its certificate (name matching is byte-wise in practice). */
function subjectOf(cert: X509Certificate): der.Der {
  const certificate = der.readChildren(cert.raw)[0];
  const tbs = certificate ? der.readChildren(certificate.content)[0] : undefined;
  const subject = tbs ? der.readChildren(tbs.content)[5] : undefined;
  if (!subject) throw new Error('unexpected certificate encoding');
  return subject.raw;
}

function subjectAltNames(hostnames: string[]): der.Der {
  const dns = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const host of hostnames) {
    if (isIPv4(host) || isIPv6(host)) ips.add(host);
    else if (host) dns.add(host);
  }
  return der.sequence(
    ...[...dns].map((host) => der.tlv(0x82, Buffer.from(host, 'ascii'))),
    ...[...ips].map((ip) => der.tlv(0x87, ipBytes(ip))),
  );
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...headParts, ...Array<string>(8 - headParts.length - tailParts.length).fill('0'), ...tailParts]
    : headParts;
  return Buffer.from(groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  }));
}

async function readPair(caFile: string, keyFile: string): Promise<CertificateAuthority | undefined> {
  try {
    const [caCertPem, caKeyPem] = await Promise.all([readFile(caFile, 'utf8'), readFile(keyFile, 'utf8')]);
    if (caCertPem.includes('END CERTIFICATE') && caKeyPem.includes('END PRIVATE KEY')) {
      return { caFile, caCertPem, caKeyPem };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return undefined;
}

async function waitForPair(caFile: string, keyFile: string): Promise<CertificateAuthority> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const pair = await readPair(caFile, keyFile);
    if (pair) return pair;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`certificate authority in ${caFile} is incomplete (ca-key.pem without ca.pem)`);
}
