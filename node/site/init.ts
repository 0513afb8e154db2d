/**
 * `genofed site init`: a hospital's own keys, made on its own host, the
 * first step of the key ceremony (deploy/README.md). Nobody else ever sees
 * the private keys; two public files leave the site:
 *
 * - `node.csr.pem` to the CA operator (TLS: `CN=<id>`,
 *   `URI:urn:genofed:site:<id>` and the DNS/IP names the coordinator dials);
 * - `site-public.json` to whoever assembles the roster: the X25519 key
 *   (pairwise masks, size-round boxes) and the Ed25519 signing key (roster
 *   signature, size commitments, answer headers), SPKI DER base64 exactly
 *   as the roster stores them (proto/roster.ts `publicKeyBase64`).
 *
 * Written into a temporary sibling folder and renamed into place at the
 * end (nothing half-made on failure); refuses an existing folder; private
 * keys are mode 0600 and the folder 0700.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { siteUri } from '../../proto/convert/identity.js';
import { formatFingerprint, publicKeyBase64 } from '../../proto/roster.js';
import { NodeError } from '../errors.js';
import { createKeyAndCsr } from '../../proto/convert/csr.js';
import { withOperatorPath } from '../../proto/operator-path.js';

/** `format` of the public file a site sends to the roster's assembler (read by `genofed roster build`). */
export const SITE_PUBLIC_FORMAT = 'genofed-site-public';

export const SITE_FILES = {
  tlsKey: 'node.key.pem',
  csr: 'node.csr.pem',
  x25519: 'x25519.key.pem',
  signing: 'signing.key.pem',
  public: 'site-public.json',
} as const;

export interface SiteInitOptions {
  readonly out: string;
  readonly site: string;
  /** DNS names the coordinator reaches this node by (at least one). */
  readonly dns: readonly string[];
  readonly ips?: readonly string[];
}

export interface SiteInitResult {
  readonly dir: string;
  readonly site: string;
  /** The SANs the CSR requests, as `ca-sign.sh` prints them. */
  readonly subjectAltNames: readonly string[];
  /** Short fingerprints of the two roster keys (`keyFingerprint`), for the operator to find in `genofed roster show`. */
  readonly x25519Fingerprint: string;
  readonly signingFingerprint: string;
  /** SHA-256 (hex) of the two files that leave the site, for `sha256sum` on the receiving end. */
  readonly publicFileSha256: string;
  readonly csrSha256: string;
}

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** RFC 1123 host names (letters, digits, hyphens; labels of 1-63); no commas, which ca-sign.sh splits SANs on. */
const DNS = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * A short fingerprint of a roster public key (SPKI DER, base64): the first
 * 64 bits of its SHA-256, in groups of 4 hex digits. Enough for an operator
 * to recognise their own key in `genofed roster show` (which prints the
 * same); what the sites compare and sign is the full 256-bit roster
 * fingerprint. Reproducible with
 * `openssl pkey -in KEY -pubout -outform DER | sha256sum | cut -c1-16`.
 */
export function keyFingerprint(spkiBase64: string): string {
  return formatFingerprint(createHash('sha256').update(Buffer.from(spkiBase64, 'base64')).digest('hex').slice(0, 16));
}

const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');

async function put(path: string, data: string, secret: boolean): Promise<void> {
  await writeFile(path, data, { mode: secret ? 0o600 : 0o644, flag: 'wx' });
  await chmod(path, secret ? 0o600 : 0o644); // independent of the umask
}

export async function siteInit(o: SiteInitOptions): Promise<SiteInitResult> {
  if (!ID.test(o.site)) throw new NodeError('GENOFED_USAGE', '--site: a site id is 1-63 of [a-z0-9._-], starting with a letter or digit');
  if (o.dns.length === 0) throw new NodeError('GENOFED_USAGE', '--dns: at least one DNS name the coordinator reaches this node by');
  for (const d of o.dns) if (!DNS.test(d)) throw new NodeError('GENOFED_USAGE', '--dns: not a DNS host name (letters, digits, hyphens, dots)');
  const ips = o.ips ?? [];
  for (const ip of ips) if (isIP(ip) === 0) throw new NodeError('GENOFED_USAGE', '--ip: not an IPv4 or IPv6 address');
  const out = resolve(o.out);
  if (await access(out).then(() => true, () => false)) {
    throw withOperatorPath(new NodeError('GENOFED_OUTPUT_EXISTS', `${basename(out)}: output folder already exists; site init never overwrites keys`), o.out);
  }
  await mkdir(dirname(out), { recursive: true });
  const tmp = await mkdtemp(join(dirname(out), `.${basename(out)}.tmp-`));
  try {
    await chmod(tmp, 0o700);
    const tls = await createKeyAndCsr({ commonName: o.site, uri: siteUri(o.site), dns: o.dns, ips });
    const x25519 = generateKeyPairSync('x25519');
    const signing = generateKeyPairSync('ed25519');
    const pub = { format: SITE_PUBLIC_FORMAT, version: 1, id: o.site, x25519: publicKeyBase64(x25519.publicKey), signingKey: publicKeyBase64(signing.publicKey) };
    const publicText = `${JSON.stringify(pub, null, 2)}\n`;
    await put(join(tmp, SITE_FILES.tlsKey), tls.keyPem, true);
    await put(join(tmp, SITE_FILES.x25519), x25519.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), true);
    await put(join(tmp, SITE_FILES.signing), signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), true);
    await put(join(tmp, SITE_FILES.csr), tls.csrPem, false);
    await put(join(tmp, SITE_FILES.public), publicText, false);
    await rename(tmp, out);
    return {
      dir: out,
      site: o.site,
      subjectAltNames: [`URI:${siteUri(o.site)}`, ...o.dns.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)],
      x25519Fingerprint: keyFingerprint(pub.x25519),
      signingFingerprint: keyFingerprint(pub.signingKey),
      publicFileSha256: sha256(publicText),
      csrSha256: sha256(tls.csrPem),
    };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
