/**
 * A TLS key and certificate signing request made where the key will be
 * used (ECDSA P-256 / SHA-256, as the consortium CA signs): the private key
 * never leaves this host, the CSR goes to the CA operator, whose
 * `deploy/pki/ca-sign.sh` accepts it only when it names exactly one
 * genofed identity (`CN=<id>` and one `urn:genofed:<role>:<id>` URI SAN).
 *
 * Shared by `genofed site init` (node/site) and `genofed coordinator init`
 * (coordinator/network), next to the identity URIs both put in
 * (`identity.ts`): node/ and coordinator/ may not import each other.
 */
// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface CsrOptions {
  readonly commonName: string;
  /** The URI SAN naming role and id (`urn:genofed:site:<id>`). */
  readonly uri: string;
  /** Names the coordinator dials this node by. */
  readonly dns?: readonly string[];
  readonly ips?: readonly string[];
}

export interface KeyAndCsr {
  /** PKCS#8 private key (PEM). Secret: write with mode 0600. */
  readonly keyPem: string;
  readonly csrPem: string;
}

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

/** A fresh ECDSA P-256 key and a CSR for it naming `CN=<commonName>` and the SANs. */
export async function createKeyAndCsr(o: CsrOptions): Promise<KeyAndCsr> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [
    { type: 'url', value: o.uri },
    ...(o.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${o.commonName}`,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.SubjectAlternativeNameExtension(names, false)],
  });
  return { keyPem: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), csrPem: `${csr.toString('pem')}\n` };
}
