/**
 * `genofed site init`: a hospital's own keys. Secrets 0600, a CSR the CA
 * operator's ca-sign.sh accepts and whose certificate passes the node's
 * start-up identity check, a public file the roster assembler reads, key
 * fingerprints that match the roster side's and openssl's, nothing
 * overwritten or left half-made, and no private key on stdout.
 */
// @peculiar/x509 (used here to read the CSR) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import { execFile, execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint as rosterSideFingerprint, readSitePublic } from '../../../coordinator/network/ceremony-files.js';
import { keyFingerprint, siteInit, type SiteInitResult } from '../../../node/site/init.js';
import { certificateNames } from '../../../proto/convert/identity.js';
import { publicKeyBase64 } from '../../../proto/roster.js';
import { has } from '../../tool-available.js';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('genofed site init', () => {
  let tmp: string;
  let r: SiteInitResult;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'genofed-site-'));
    r = await siteInit({ out: join(tmp, 'keys'), site: 'hospital-a', dns: ['node.hospital-a.example.org'], ips: ['10.0.0.7'] });
  });

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes the three private keys with mode 0600 in a 0700 folder, and the CSR and public file readable', async () => {
    expect((await readdir(r.dir)).sort()).toEqual(['node.csr.pem', 'node.key.pem', 'signing.key.pem', 'site-public.json', 'x25519.key.pem']);
    expect(((await stat(r.dir)).mode & 0o777).toString(8)).toBe('700');
    for (const f of ['node.key.pem', 'x25519.key.pem', 'signing.key.pem']) expect(((await stat(join(r.dir, f))).mode & 0o777).toString(8), f).toBe('600');
    for (const f of ['node.csr.pem', 'site-public.json']) expect(((await stat(join(r.dir, f))).mode & 0o777).toString(8), f).toBe('644');
    const types = await Promise.all(['node.key.pem', 'x25519.key.pem', 'signing.key.pem'].map(async (f) => {
      const k = createPrivateKey(await readFile(join(r.dir, f)));
      return k.asymmetricKeyType === 'ec' ? `ec ${k.asymmetricKeyDetails?.namedCurve}` : k.asymmetricKeyType;
    }));
    expect(types).toEqual(['ec prime256v1', 'x25519', 'ed25519']);
  });

  it('makes a CSR naming exactly CN=<site>, urn:genofed:site:<site> and the DNS/IP names, signed by the TLS key', async () => {
    const csr = new x509.Pkcs10CertificateRequest(await readFile(join(r.dir, 'node.csr.pem'), 'utf8'));
    expect(csr.subject).toBe('CN=hospital-a');
    expect(await csr.verify()).toBe(true);
    expect(csr.extensions.map((e) => e.type)).toEqual(['2.5.29.17']); // subjectAltName, and nothing else requested
    const san = new x509.SubjectAlternativeNameExtension(csr.extensions[0]!.rawData);
    expect(san.names.toJSON()).toEqual([
      { type: 'url', value: 'urn:genofed:site:hospital-a' },
      { type: 'dns', value: 'node.hospital-a.example.org' },
      { type: 'ip', value: '10.0.0.7' },
    ]);
    expect(r.subjectAltNames).toEqual(['URI:urn:genofed:site:hospital-a', 'DNS:node.hospital-a.example.org', 'IP:10.0.0.7']);
    const spki = Buffer.from(await crypto.subtle.exportKey('spki', await csr.publicKey.export())).toString('base64');
    expect(spki).toBe(publicKeyBase64(createPrivateKey(await readFile(join(r.dir, 'node.key.pem')))));
  });

  it.skipIf(!has('openssl'))('deploy/pki/ca-sign.sh accepts the CSR, and the certificate passes the node\'s start-up identity check', async () => {
    const ca = join(tmp, 'ca');
    execFileSync('bash', [join(ROOT, 'deploy/pki/ca-init.sh'), ca, 'Test'], { stdio: 'ignore' });
    const out = join(tmp, 'node.crt.pem');
    execFileSync('bash', [join(ROOT, 'deploy/pki/ca-sign.sh'), ca, join(r.dir, 'node.csr.pem'), 'server', out], { stdio: 'ignore' });
    const cert = new X509Certificate(await readFile(out));
    expect(cert.verify(new X509Certificate(await readFile(join(ca, 'ca.crt.pem'))).publicKey)).toBe(true);
    // The same check node/server/serve.ts runs on its own certificate before serving.
    expect(certificateNames({ subject: { CN: /^CN=(.*)$/m.exec(cert.subject)?.[1] ?? '' }, subjectaltname: cert.subjectAltName ?? '' }, 'site', 'hospital-a')).toBe(true);
    expect(cert.checkHost('node.hospital-a.example.org')).toBe('node.hospital-a.example.org');
    expect(cert.checkIP('10.0.0.7')).toBe('10.0.0.7');
    // A site's CSR is not a coordinator's: the CA refuses it as a client certificate.
    expect(() => execFileSync('bash', [join(ROOT, 'deploy/pki/ca-sign.sh'), ca, join(r.dir, 'node.csr.pem'), 'client', join(tmp, 'client.crt.pem')], { stdio: 'ignore' })).toThrow();
  });

  it('writes site-public.json as the roster assembler reads it: the public parts of the X25519 and signing keys', async () => {
    const pub = await readSitePublic(join(r.dir, 'site-public.json'));
    expect(pub.id).toBe('hospital-a');
    expect(pub.x25519).toBe(publicKeyBase64(createPrivateKey(await readFile(join(r.dir, 'x25519.key.pem')))));
    expect(pub.signingKey).toBe(publicKeyBase64(createPrivateKey(await readFile(join(r.dir, 'signing.key.pem')))));
    expect(r.x25519Fingerprint).toBe(keyFingerprint(pub.x25519));
    expect(r.signingFingerprint).toBe(keyFingerprint(pub.signingKey));
  });

  it('prints key fingerprints the roster side (roster show) prints too, and openssl reproduces', async () => {
    const pub = await readSitePublic(join(r.dir, 'site-public.json'));
    expect(rosterSideFingerprint(pub.x25519)).toBe(r.x25519Fingerprint);
    expect(rosterSideFingerprint(pub.signingKey)).toBe(r.signingFingerprint);
    expect(r.x25519Fingerprint).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    if (has('openssl')) {
      const der = execFileSync('openssl', ['pkey', '-in', join(r.dir, 'x25519.key.pem'), '-pubout', '-outform', 'DER']);
      const sha = execFileSync('sha256sum', { input: der }).toString().slice(0, 16);
      expect(r.x25519Fingerprint.replaceAll(' ', '')).toBe(sha);
    }
  });

  it('refuses an existing folder and bad ids, names or addresses, leaving nothing behind', async () => {
    const base = join(tmp, 'refusals');
    await mkdir(join(base, 'exists'), { recursive: true });
    await expect(siteInit({ out: join(base, 'exists'), site: 'a', dns: ['x.example.org'] })).rejects.toMatchObject({ code: 'GENOFED_OUTPUT_EXISTS' });
    await expect(siteInit({ out: join(base, 'bad-id'), site: 'Hospital A', dns: ['x.example.org'] })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
    await expect(siteInit({ out: join(base, 'no-dns'), site: 'a', dns: [] })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
    await expect(siteInit({ out: join(base, 'comma'), site: 'a', dns: ['x.example.org,DNS:evil'] })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
    await expect(siteInit({ out: join(base, 'bad-ip'), site: 'a', dns: ['x.example.org'], ips: ['10.0.0'] })).rejects.toMatchObject({ code: 'GENOFED_USAGE' });
    expect(await readdir(base)).toEqual(['exists']);
    expect(await readdir(join(base, 'exists'))).toEqual([]);
  });

  it('the CLI prints paths, SHA-256 of the public files and key fingerprints, never a private key', async () => {
    const out = join(tmp, 'cli-keys');
    const stdout = await new Promise<string>((done, fail) => {
      execFile(process.execPath, [join(ROOT, 'bin/genofed.js'), 'site', 'init', '--out', out, '--site', 'hospital-b', '--dns', 'localhost', '--ip', '127.0.0.1'], (err, so, se) => (err ? fail(new Error(se)) : done(so)));
    });
    expect(stdout).toContain(`keys written to ${out}`);
    expect(stdout).toMatch(/x25519 key +[0-9a-f]{4} /);
    expect(stdout).not.toContain('PRIVATE KEY');
    for (const f of ['node.key.pem', 'x25519.key.pem', 'signing.key.pem']) {
      const body = (await readFile(join(out, f), 'utf8')).split('\n').filter((l) => l && !l.startsWith('-----')).join('');
      for (let i = 0; i + 24 <= body.length; i += 24) expect(stdout).not.toContain(body.slice(i, i + 24));
    }
  });
});
