/**
 * deploy/README.md's real-consortium walkthrough, run on one machine: each
 * party makes its own keys with deploy/pki/*.sh (openssl) and
 * deploy/bfv-keygen.mjs, the CA signs the CSRs, each hospital pseudonymizes
 * and ingests its data, the configs are deploy/*.example.json with local
 * paths and ports, and a researcher queries with `genofed query` using the
 * environment variables the README shows. The example configs as shipped
 * must also pass the real config schemas.
 */
import { applyAlleleFrequencyPolicy, DEFAULT_DISCLOSURE_POLICY } from '../../coordinator/disclosure/index.js';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNodeConfig } from '../../node/server/config.js';
import { parseCoordinatorConfig } from '../../coordinator/config.js';
import { Children, parseHostPort } from '../../coordinator/demo/children.js';
import { bcftoolsCounts, has } from '../coordinator/demo/bcftools.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');
const CLI = join(ROOT, 'bin', 'genofed.js');
const VCF = join(ROOT, 'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(ROOT, 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel');
// Three hospitals: nodes refuse a query over fewer than 3 participating sites (issue 6).
const SITES = ['hospital-a', 'hospital-b', 'hospital-c'];

const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

function sh(script: string, args: string[], cwd: string): string {
  return execFileSync('bash', [join(DEPLOY, 'pki', script), ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function genofed(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let ranWalkthrough = false;
/** openssl has no --version flag. */
const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

describe('deploy/ example configs', () => {
  it('node.example.json and coordinator.example.json pass the real config schemas as shipped', () => {
    const node = parseNodeConfig(json(join(DEPLOY, 'node.example.json')), '/etc/genofed', 'node.example.json');
    expect(node.crypto.preset).toBe('default');
    expect(node.store).toBe('/var/lib/genofed/store');
    const coord = parseCoordinatorConfig(json(join(DEPLOY, 'coordinator.example.json')), '/etc/genofed', 'coordinator.example.json');
    expect(coord.sites.map((s) => s.id)).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
    expect(coord.listen.host).toBe('127.0.0.1'); // plain HTTP only behind the TLS proxy
    expect(coord.bfv.preset).toBe('default');
  });

  it('the systemd units start the CLI from /opt/genofed with the example config paths and stop with SIGTERM', () => {
    for (const [unit, cmd] of [['genofed-node.service', 'node serve --config /etc/genofed/node.json'], ['genofed-coordinator.service', 'coordinator serve --config /etc/genofed/coordinator.json']] as const) {
      const text = readFileSync(join(DEPLOY, 'systemd', unit), 'utf8');
      expect(text).toContain(`ExecStart=/opt/genofed/node_modules/.bin/node /opt/genofed/bin/genofed.js ${cmd}`);
      expect(text).toMatch(/^KillSignal=SIGTERM$/m);
      expect(text).toMatch(/^User=genofed$/m);
      expect(text).toMatch(/^NoNewPrivileges=yes$/m);
    }
  });
});

describe.skipIf(!hasOpenssl || !has('bcftools'))('deploy/README.md walkthrough with per-party keys (3 hospitals, one machine)', () => {
  let dir: string;
  let children: Children;
  let url = '';
  let token = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-deploy-'));
    children = new Children(await mkdir(join(dir, 'logs'), { recursive: true }).then(() => join(dir, 'logs')), [CLI]);
    // 1. Keys: CA operator, each hospital, coordinator; the CA signs the CSRs.
    sh('ca-init.sh', ['ca', 'Test Consortium'], dir);
    for (const s of SITES) {
      sh('site-keys.sh', [s, s, 'localhost', '127.0.0.1'], dir);
      sh('ca-sign.sh', ['ca', `${s}/node.csr.pem`, 'server', `${s}/node.crt.pem`], dir);
    }
    sh('coordinator-keys.sh', ['coordinator', 'coordinator'], dir);
    sh('ca-sign.sh', ['ca', 'coordinator/coordinator.csr.pem', 'client', 'coordinator/coordinator.crt.pem'], dir);
    execFileSync(process.execPath, [join(DEPLOY, 'bfv-keygen.mjs'), join(dir, 'coordinator'), 'test']);
    // Exchange of public parts.
    for (const s of SITES) {
      const exchange: [string, string][] = [['ca/ca.crt.pem', 'ca.crt.pem'], ['coordinator/signing.pub.pem', 'coordinator-signing.pub.pem'], ['coordinator/bfv.pk', 'coordinator-bfv.pk']];
      for (const [from, to] of exchange) {
        await writeFile(join(dir, s, to), await readFile(join(dir, from)));
      }
    }
    await writeFile(join(dir, 'coordinator', 'ca.crt.pem'), await readFile(join(dir, 'ca/ca.crt.pem')));

    // 2. Each hospital pseudonymizes with its own key and ingests.
    for (const s of SITES) {
      const d = join(dir, s);
      for (const args of [
        ['key', 'generate', '--out', join(d, 'site.key')],
        ['pseudonymize', 'vcf', '--in', VCF, '--out', join(d, 'cohort.vcf.gz'), '--key-file', join(d, 'site.key'), '--map', join(d, 'reid-map.enc')],
        ['pseudonymize', 'table', '--in', PANEL, '--out', join(d, 'phenotypes.tsv'), '--key-file', join(d, 'site.key'), '--id-column', 'sample'],
        ['node', 'ingest', '--store', join(d, 'store'), '--vcf', join(d, 'cohort.vcf.gz'), '--phenotypes', join(d, 'phenotypes.tsv')],
      ]) {
        const r = await genofed(args);
        expect(r.code, `${args.slice(0, 2).join(' ')}: ${r.stderr}`).toBe(0);
      }
    }

    // 3. Configs from the examples (local paths, loopback, ephemeral ports, test preset), then the services.
    const addresses: string[] = [];
    for (const s of SITES) {
      const c = json(join(DEPLOY, 'node.example.json'));
      Object.assign(c, {
        siteId: s, store: 'store', listen: { host: '127.0.0.1', port: 0 }, healthHttp: { host: '127.0.0.1', port: 0 },
        tls: { ca: 'ca.crt.pem', cert: 'node.crt.pem', key: 'node.key.pem' },
        coordinator: { identity: 'coordinator', signingPublicKey: 'coordinator-signing.pub.pem', bfvPublicKey: 'coordinator-bfv.pk' },
        crypto: { preset: 'test' }, x25519: { privateKey: 'x25519.key.pem', publicKey: 'x25519.pub.pem' },
      });
      await writeFile(join(dir, s, 'node.json'), JSON.stringify(c));
      const node = children.start(`node-${s}`, ['node', 'serve', '--config', join(dir, s, 'node.json')]);
      addresses.push(`127.0.0.1:${parseHostPort((await node.waitForLine(/listening grpc (\S+)/, 90_000))[1]!).port}`);
    }
    token = execFileSync('openssl', ['rand', '-base64', '32']).toString().trim().replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
    await writeFile(join(dir, 'coordinator', 'tokens.json'), JSON.stringify([{ querier: 'alice', token }]), { mode: 0o600 });
    const cc = json(join(DEPLOY, 'coordinator.example.json'));
    Object.assign(cc, {
      listen: { host: '127.0.0.1', port: 0 },
      tls: { ca: 'ca.crt.pem', cert: 'coordinator.crt.pem', key: 'coordinator.key.pem' },
      signingKey: 'signing.key.pem', bfv: { preset: 'test', publicKey: 'bfv.pk', secretKey: 'bfv.sk' },
      sites: SITES.map((id, i) => ({ id, address: addresses[i] })), tokensFile: 'tokens.json',
    });
    await writeFile(join(dir, 'coordinator', 'coordinator.json'), JSON.stringify(cc));
    const coordinator = children.start('coordinator', ['coordinator', 'serve', '--config', join(dir, 'coordinator', 'coordinator.json')]);
    const rest = parseHostPort((await coordinator.waitForLine(/listening rest (\S+)/, 90_000))[1]!);
    url = `http://127.0.0.1:${rest.port}`;
  });

  afterAll(async () => {
    await children?.stopAll();
    expect(children.pids.filter(alive)).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  it('the CA refuses to sign a site CSR as a client certificate (it must name exactly the identity it is for)', () => {
    const r = spawnSync('bash', [join(DEPLOY, 'pki', 'ca-sign.sh'), 'ca', 'hospital-a/node.csr.pem', 'client', 'wrong.crt.pem'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/must have CN=<id> and URI SAN urn:genofed:coordinator:<id>/);
  });

  it('secret files are mode 0600', async () => {
    const { statSync } = await import('node:fs');
    for (const f of ['ca/ca.key.pem', 'hospital-a/node.key.pem', 'hospital-a/x25519.key.pem', 'hospital-a/site.key', 'coordinator/coordinator.key.pem', 'coordinator/signing.key.pem', 'coordinator/bfv.sk']) {
      expect((statSync(join(dir, f)).mode & 0o777).toString(8), f).toBe('600');
    }
  });

  it('a researcher with GENOFED_TOKEN and GENOFED_COORDINATOR gets the sum of the three hospitals: three times bcftools on the file each ingested, under the default disclosure policy', async () => {
    const r = await genofed(['query', 'af', '--region', '1:10000-200000'], { GENOFED_TOKEN: token, GENOFED_COORDINATOR: url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/responding sites: hospital-a,hospital-b,hospital-c/);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt');
    const got = new Map(lines.slice(1).map((l) => {
      const f = l.split('\t');
      return [`${f[0]}:${f[1]}:${f[2]}:${f[3]}`, f] as const;
    }));
    const tool = bcftoolsCounts(VCF);
    expect(got.size).toBe(tool.length);
    for (const t of tool) {
      const f = got.get(`${t.chrom}:${t.pos}:${t.ref}:${t.alt}`);
      expect(f, `${t.pos} ${t.alt}`).toBeDefined();
      // Released under the coordinator's default disclosure policy (k = 5): the same policy on bcftools' totals.
      const e = applyAlleleFrequencyPolicy([{ ac: 3 * t.ac, an: 3 * t.an, nhomalt: 3 * t.nhomalt }], DEFAULT_DISCLOSURE_POLICY).rows[0]!;
      expect([f![4], f![5], f![7]]).toEqual([String(e.ac), String(e.an), String(e.nhomalt)]);
    }
    ranWalkthrough = true;
  });

  it('the cohort count is the pseudonymized panel rows of genotyped EUR females, from the three hospitals', async () => {
    const r = await genofed(['query', 'cohort', '--cohort', 'super_pop=EUR and gender=female'], { GENOFED_TOKEN: token, GENOFED_COORDINATOR: url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${3 * 263}\n`);
  });
});

describe('deploy walkthrough guard', () => {
  it('in CI openssl and bcftools are present, so the walkthrough really ran', () => {
    if (process.env.CI) expect(hasOpenssl && has('bcftools')).toBe(true);
    if (hasOpenssl && has('bcftools')) expect(ranWalkthrough).toBe(true);
  });
});
