/**
 * deploy/README.md's walkthrough, run on one machine: a CA operator, three
 * hospitals and a coordinator, each in its own folder (its "host") running
 * only its own commands through the real CLI. Each party makes its own
 * keys (`site init`, `coordinator init`, deploy/pki/ca-*.sh); only public
 * files cross between folders (`send` refuses anything holding a private
 * key); the roster is built from the public files, each site signs the
 * fingerprint it read from `roster show`, the assembler seals it; the
 * configs are deploy/*.example.json with local paths and ports; nodes and
 * coordinator run as real processes, and a researcher's allele frequencies
 * equal bcftools' counts under the disclosure policy of the example config.
 * Then the refusals that make the ceremony worth having: a wrong
 * fingerprint, a missing signature, a node config that names another
 * fingerprint, and a roster edited after sealing.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAlleleFrequencyPolicy } from '../../coordinator/disclosure/index.js';
import { configDisclosurePolicy, parseCoordinatorConfig } from '../../coordinator/config.js';
import { Children, parseHostPort } from '../../coordinator/demo/children.js';
import { parseNodeConfig } from '../../node/server/config.js';
import { normalizeFingerprint, rosterFingerprint, type Roster } from '../../proto/roster.js';
import { bcftoolsCounts, has } from '../coordinator/demo/bcftools.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');
const CLI = join(ROOT, 'bin', 'genofed.js');
const VCF = join(ROOT, 'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(ROOT, 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel');
// Three hospitals: nodes refuse a roster of fewer than 3 members.
const SITES = ['hospital-a', 'hospital-b', 'hospital-c'];

const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

interface Run { code: number; stdout: string; stderr: string }

function genofed(args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((done) => {
    // The timeout only matters if a refusal under test does not happen (a node that starts would serve forever).
    execFile(process.execPath, [CLI, ...args], { cwd: o.cwd, env: { ...process.env, ...o.env }, maxBuffer: 1 << 26, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function ok(args: string[], cwd: string): Promise<string> {
  const r = await genofed(args, { cwd });
  expect(r.code, `genofed ${args.slice(0, 2).join(' ')} (${basename(cwd)}): ${r.stderr}`).toBe(0);
  return r.stdout;
}

function pki(script: string, args: string[], cwd: string): string {
  return execFileSync('bash', [join(DEPLOY, 'pki', script), ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The fingerprint line of `roster build|show|seal` output, as an operator reads it. */
function fingerprintLine(stdout: string): string {
  const m = /^fingerprint: ([0-9a-f ]+)$/m.exec(stdout);
  expect(m, stdout).not.toBeNull();
  return m![1]!;
}

/** Another fingerprint, one hex digit off (a misread or a different roster). */
function oneDigitOff(fp: string): string {
  const i = fp.length - 1;
  return fp.slice(0, i) + (fp[i] === '0' ? '1' : '0');
}

/** The example config with its /etc/genofed and /var/lib/genofed paths made relative to the party's folder. */
function localize(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/^\/etc\/genofed\//, '').replace(/^\/var\/lib\/genofed\//, '');
  if (Array.isArray(value)) return value.map(localize);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localize(v)]));
  return value;
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
const hasOpenssl = has('openssl');

describe('deploy/ example configs', () => {
  it('node.example.json and coordinator.example.json pass the real config schemas as shipped', () => {
    const node = parseNodeConfig(json(join(DEPLOY, 'node.example.json')), '/etc/genofed', 'node.example.json');
    expect(node.crypto.preset).toBe('default');
    expect(node.store).toBe('/var/lib/genofed/store');
    expect(node.keys).toEqual({ x25519: '/etc/genofed/keys/x25519.key.pem', signing: '/etc/genofed/keys/signing.key.pem' });
    expect(node.roster.file).toBe('/etc/genofed/roster.json');
    // A placeholder no roster hashes to: a node whose operator did not write the confirmed fingerprint refuses to start.
    expect(node.roster.fingerprint).toBe('0'.repeat(64));
    expect(node.privacy.roster).toEqual({ minSites: 3, minMembershipIntervalHours: 24 });
    const coord = parseCoordinatorConfig(json(join(DEPLOY, 'coordinator.example.json')), '/etc/genofed', 'coordinator.example.json');
    expect(coord.sites.map((s) => s.id)).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
    expect(coord.listen.host).toBe('127.0.0.1'); // plain HTTP only behind the TLS proxy
    expect(coord.bfv.preset).toBe('default');
    expect(coord.roster).toBe('/etc/genofed/roster.json');
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

  it('the README walks through the ceremony commands and no longer mentions the removed key scripts', () => {
    const text = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    for (const cmd of ['genofed site init', 'genofed coordinator init', 'genofed roster build', 'genofed roster show', 'genofed roster sign', 'genofed roster seal', 'roster build --previous', 'minMembershipIntervalHours']) expect(text).toContain(cmd);
    for (const gone of ['site-keys.sh', 'coordinator-keys.sh', 'bfv-keygen.mjs']) {
      expect(text).not.toContain(gone);
      expect(existsSync(join(DEPLOY, gone.endsWith('.sh') ? 'pki' : '', gone))).toBe(false);
    }
  });
});

describe.skipIf(!hasOpenssl || !has('bcftools'))('deploy/README.md walkthrough: key ceremony, 3 hospitals, one machine', () => {
  let dir: string;
  let children: Children;
  let url = '';
  let token = '';
  /** The fingerprint each site's operator read from `roster show` (and later typed into sign and node.json). */
  const read: Record<string, string> = {};
  let announced = '';
  const host = (party: string): string => join(dir, party);

  /** Hand a PUBLIC file from one party to another (the only way anything crosses between hosts). */
  async function send(from: string, file: string, to: string, as = basename(file)): Promise<void> {
    const bytes = await readFile(join(host(from), file));
    expect(bytes.includes('PRIVATE KEY'), `${from} must not send ${file}`).toBe(false);
    expect(statSync(join(host(from), file)).mode & 0o077, `${file} is a secret (0600)`).not.toBe(0);
    await writeFile(join(host(to), as), bytes);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genofed-deploy-'));
    for (const p of ['ca-operator', 'coordinator', ...SITES, 'logs']) await mkdir(host(p));
    children = new Children(host('logs'), [CLI]);

    // 1. Key ceremony. CA operator; each hospital and the coordinator make their own keys.
    pki('ca-init.sh', ['consortium-ca', 'Test Consortium'], host('ca-operator'));
    const siteInit: Record<string, string> = {};
    for (const s of SITES) siteInit[s] = await ok(['site', 'init', '--out', 'keys', '--site', s, '--dns', 'localhost', '--ip', '127.0.0.1'], host(s));
    await ok(['coordinator', 'init', '--out', 'keys', '--id', 'coordinator', '--preset', 'test'], host('coordinator'));

    // The CA operator signs the CSRs and returns the certificates with its own.
    for (const s of SITES) {
      await send(s, 'keys/node.csr.pem', 'ca-operator', `${s}.node.csr.pem`);
      pki('ca-sign.sh', ['consortium-ca', `${s}.node.csr.pem`, 'server', `${s}.node.crt.pem`], host('ca-operator'));
      await send('ca-operator', `${s}.node.crt.pem`, s, 'node.crt.pem');
      await send('ca-operator', 'consortium-ca/ca.crt.pem', s);
    }
    await send('coordinator', 'keys/coordinator.csr.pem', 'ca-operator');
    pki('ca-sign.sh', ['consortium-ca', 'coordinator.csr.pem', 'client', 'coordinator.crt.pem'], host('ca-operator'));
    await send('ca-operator', 'coordinator.crt.pem', 'coordinator');
    await send('ca-operator', 'consortium-ca/ca.crt.pem', 'coordinator');

    // The consortium phenotype schema: hospital-a drafts it from its own table, the consortium reviews it
    // (here: as drafted), and it goes into the roster every site signs.
    const draft = await ok(['schema', 'draft', '--table', PANEL], host(SITES[0]!));
    expect(JSON.parse(draft).columns.map((c: { name: string }) => c.name)).toEqual(['pop', 'super_pop', 'gender']);
    await writeFile(join(host(SITES[0]!), 'schema.json'), draft);
    await send(SITES[0]!, 'schema.json', 'coordinator');

    // The roster, from public files only; the coordinator's operator assembles it.
    for (const s of SITES) await send(s, 'keys/site-public.json', 'coordinator', `${s}-public.json`);
    const built = await ok(['roster', 'build', '--consortium', 'Test Consortium', '--coordinator', 'keys/coordinator-public.json',
      ...SITES.flatMap((s) => ['--site', `${s}-public.json`]), '--schema', 'schema.json', '--out', 'roster.unsigned.json'], host('coordinator'));
    announced = fingerprintLine(built);
    for (const s of SITES) {
      await send('coordinator', 'roster.unsigned.json', s);
      const shown = await ok(['roster', 'show', '--roster', 'roster.unsigned.json'], host(s));
      read[s] = fingerprintLine(shown);
      // The operator finds its own keys as site init printed them.
      const x = /x25519 key +([0-9a-f ]+)$/m.exec(siteInit[s]!)![1]!;
      const sig = /signing key +([0-9a-f ]+)$/m.exec(siteInit[s]!)![1]!;
      expect(shown).toContain(`  ${s}  x25519 ${x}  signing ${sig}  not signed`);
    }
    // The sites compare what they read with each other (the call the assembler is not on).
    expect(new Set(Object.values(read)).size).toBe(1);
    expect(read[SITES[0]!]).toBe(announced);
    for (const s of SITES) {
      await ok(['roster', 'sign', '--roster', 'roster.unsigned.json', '--site', s, '--signing-key', 'keys/signing.key.pem', '--fingerprint', read[s]!, '--out', `${s}.roster-sig.json`], host(s));
      await send(s, `${s}.roster-sig.json`, 'coordinator');
    }
    const sealed = await ok(['roster', 'seal', '--roster', 'roster.unsigned.json', ...SITES.flatMap((s) => ['--signature', `${s}.roster-sig.json`]), '--out', 'roster.json'], host('coordinator'));
    expect(fingerprintLine(sealed)).toBe(announced);
    for (const s of SITES) {
      await send('coordinator', 'roster.json', s);
      await send('coordinator', 'keys/bfv.pk', s, 'coordinator-bfv.pk');
    }

    // 2. Each hospital pseudonymizes its VCF and phenotype table with its own key and ingests them: the
    // key proves the sample names are this site's pseudonyms; the phenotypes go in under the roster's schema.
    for (const s of SITES) {
      for (const args of [
        ['key', 'generate', '--out', 'site.key'],
        ['pseudonymize', 'vcf', '--in', VCF, '--out', 'cohort.vcf.gz', '--key-file', 'site.key', '--map', 'reid-map.enc'],
        ['pseudonymize', 'table', '--in', PANEL, '--out', 'phenotypes.tsv', '--key-file', 'site.key', '--id-column', 'sample'],
        ['node', 'ingest', '--store', 'store', '--vcf', 'cohort.vcf.gz', '--phenotypes', 'phenotypes.tsv', '--schema', 'roster.json', '--key-file', 'site.key'],
      ]) await ok(args, host(s));
    }

    // 3. Configs from the examples (local paths, loopback, ephemeral ports, test preset), then the services.
    const addresses: string[] = [];
    for (const s of SITES) {
      const c = localize(json(join(DEPLOY, 'node.example.json'))) as Record<string, unknown>;
      Object.assign(c, {
        siteId: s, listen: { host: '127.0.0.1', port: 0 }, healthHttp: { host: '127.0.0.1', port: 0 }, metricsHttp: { host: '127.0.0.1', port: 0 }, crypto: { preset: 'test' },
        roster: { ...(c.roster as object), fingerprint: read[s] },
      });
      await writeFile(join(host(s), 'node.json'), JSON.stringify(c, null, 2));
      // Every file the example names is where the README's ceremony put it.
      const parsed = parseNodeConfig(c, host(s));
      for (const f of [parsed.tls.ca, parsed.tls.cert, parsed.tls.key, parsed.keys.x25519, parsed.keys.signing, parsed.roster.file, parsed.coordinator.bfvPublicKey]) expect(existsSync(f), f).toBe(true);
      const node = children.start(`node-${s}`, ['node', 'serve', '--config', join(host(s), 'node.json')]);
      addresses.push(`127.0.0.1:${parseHostPort((await node.waitForLine(/listening grpc (\S+)/, 90_000))[1]!).port}`);
    }
    token = execFileSync('openssl', ['rand', '-base64', '32']).toString().trim().replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
    await writeFile(join(host('coordinator'), 'tokens.json'), JSON.stringify([{ querier: 'alice', token }]), { mode: 0o600 });
    const cc = localize(json(join(DEPLOY, 'coordinator.example.json'))) as Record<string, unknown>;
    Object.assign(cc, {
      listen: { host: '127.0.0.1', port: 0 }, bfv: { ...(cc.bfv as object), preset: 'test' },
      sites: SITES.map((id, i) => ({ id, address: addresses[i] })),
    });
    await writeFile(join(host('coordinator'), 'coordinator.json'), JSON.stringify(cc, null, 2));
    const coordinator = children.start('coordinator', ['coordinator', 'serve', '--config', join(host('coordinator'), 'coordinator.json')]);
    url = `http://127.0.0.1:${parseHostPort((await coordinator.waitForLine(/listening rest (\S+)/, 90_000))[1]!).port}`;
  });

  afterAll(async () => {
    await children?.stopAll();
    expect(children.pids.filter(alive)).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  it('each party\'s secret files are mode 0600 and stayed in its own folder', () => {
    const secrets: Record<string, string[]> = {
      'ca-operator': ['consortium-ca/ca.key.pem'],
      coordinator: ['keys/coordinator.key.pem', 'keys/signing.key.pem', 'keys/bfv.sk', 'tokens.json'],
      ...Object.fromEntries(SITES.map((s) => [s, ['keys/node.key.pem', 'keys/x25519.key.pem', 'keys/signing.key.pem', 'site.key']])),
    };
    for (const [party, files] of Object.entries(secrets)) {
      for (const f of files) {
        expect((statSync(join(host(party), f)).mode & 0o777).toString(8), `${party}/${f}`).toBe('600');
        for (const other of Object.keys(secrets)) if (other !== party) expect(existsSync(join(host(other), f)) && readFileSync(join(host(other), f)).equals(readFileSync(join(host(party), f))), `${other} holds ${party}/${f}`).toBe(false);
      }
    }
  });

  it('the CA refuses to sign a site CSR as a client certificate (it must name exactly the identity it is for)', () => {
    const r = spawnSync('bash', [join(DEPLOY, 'pki', 'ca-sign.sh'), 'consortium-ca', 'hospital-a.node.csr.pem', 'client', 'wrong.crt.pem'], { cwd: host('ca-operator'), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/must have CN=<id> and URI SAN urn:genofed:coordinator:<id>/);
  });

  it('a researcher with GENOFED_TOKEN and GENOFED_COORDINATOR gets the sum of the three hospitals: three times bcftools on the file each ingested, under the example config\'s disclosure policy', async () => {
    const r = await genofed(['query', 'af', '--region', '1:10000-200000'], { env: { GENOFED_TOKEN: token, GENOFED_COORDINATOR: url } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/responding sites: hospital-a,hospital-b,hospital-c/);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt');
    const got = new Map(lines.slice(1).map((l) => {
      const f = l.split('\t');
      return [`${f[0]}:${f[1]}:${f[2]}:${f[3]}`, f] as const;
    }));
    const policy = configDisclosurePolicy(parseCoordinatorConfig(json(join(DEPLOY, 'coordinator.example.json')), '/etc/genofed'));
    const tool = bcftoolsCounts(VCF);
    expect(tool.length).toBeGreaterThan(100);
    expect(got.size).toBe(tool.length);
    for (const t of tool) {
      const f = got.get(`${t.chrom}:${t.pos}:${t.ref}:${t.alt}`);
      expect(f, `${t.pos} ${t.alt}`).toBeDefined();
      const e = applyAlleleFrequencyPolicy([{ ac: 3 * t.ac, an: 3 * t.an, nhomalt: 3 * t.nhomalt }], policy).rows[0]!;
      expect([f![4], f![5], f![7]]).toEqual([String(e.ac), String(e.an), String(e.nhomalt)]);
    }
    ranWalkthrough = true;
  });

  it('the cohort count is the genotyped EUR females of the pseudonymized panel, from the three hospitals; a column outside the schema is a 400', async () => {
    const env = { GENOFED_TOKEN: token, GENOFED_COORDINATOR: url };
    const r = await genofed(['query', 'cohort', '--cohort', 'super_pop=EUR and gender=female'], { env });
    expect(r.code, r.stderr).toBe(0);
    // 263 EUR females among the 2,504 genotyped samples (the panel file), at each of the three hospitals.
    const panel = readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
    expect(panel.filter((f) => f[2] === 'EUR' && f[3] === 'female').length).toBe(263);
    expect(r.stdout).toBe(`${3 * 263}\n`);
    const schema = await genofed(['query', 'schema'], { env });
    expect(schema.stdout).toMatch(/^super_pop\tcategorical\tvalues: AFR, AMR, EAS, EUR, SAS$/m);
    const bad = await genofed(['query', 'cohort', '--cohort', 'sample = HG00096'], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/GENOFED_BAD_COHORT: .*unknown column 'sample'/);
  });

  it('a site that signs with a fingerprint other than the roster\'s is refused, and nothing is written', async () => {
    const r = await genofed(['roster', 'sign', '--roster', 'roster.unsigned.json', '--site', 'hospital-a', '--signing-key', 'keys/signing.key.pem',
      '--fingerprint', oneDigitOff(read['hospital-a']!), '--out', 'wrong.roster-sig.json'], { cwd: host('hospital-a') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('GENOFED_ROSTER_FINGERPRINT');
    expect(existsSync(join(host('hospital-a'), 'wrong.roster-sig.json'))).toBe(false);
  });

  it('a site cannot sign for another: hospital-b\'s key is not hospital-a\'s roster key', async () => {
    await copyFile(join(host('hospital-b'), 'roster.unsigned.json'), join(host('hospital-b'), 'copy.unsigned.json'));
    const r = await genofed(['roster', 'sign', '--roster', 'copy.unsigned.json', '--site', 'hospital-a', '--signing-key', 'keys/signing.key.pem',
      '--fingerprint', read['hospital-b']!, '--out', 'impersonated.roster-sig.json'], { cwd: host('hospital-b') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('GENOFED_ROSTER_SIGNER');
    expect(existsSync(join(host('hospital-b'), 'impersonated.roster-sig.json'))).toBe(false);
  });

  it('roster seal with a member\'s signature missing is refused, naming the member, and writes nothing', async () => {
    const r = await genofed(['roster', 'seal', '--roster', 'roster.unsigned.json', '--signature', 'hospital-a.roster-sig.json', '--signature', 'hospital-b.roster-sig.json', '--out', 'partial.json'], { cwd: host('coordinator') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('GENOFED_ROSTER_INCOMPLETE');
    expect(r.stderr).toContain('not signed by hospital-c');
    expect(existsSync(join(host('coordinator'), 'partial.json'))).toBe(false);
  });

  it('a node whose config names another fingerprint than its roster file refuses to start (GENOFED_ROSTER_NOT_CONFIRMED)', async () => {
    const c = json(join(host('hospital-a'), 'node.json'));
    c.roster = { ...(c.roster as object), fingerprint: oneDigitOff(read['hospital-a']!) };
    await writeFile(join(host('hospital-a'), 'node.other-fingerprint.json'), JSON.stringify(c));
    const r = await genofed(['node', 'serve', '--config', 'node.other-fingerprint.json'], { cwd: host('hospital-a') });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('listening');
    expect(r.stderr).toContain('GENOFED_ROSTER_NOT_CONFIRMED');
    expect(r.stderr).toContain('not the one this site\'s operator confirmed');
  });

  it('a roster edited after sealing (a ghost site whose keys the coordinator made, signed by the ghost\'s own key) is refused by the nodes, even by one whose operator typed its fingerprint', async () => {
    // The coordinator makes a "site" itself and adds it to the sealed roster, keeping the three real signatures.
    await ok(['site', 'init', '--out', 'ghost', '--site', 'ghost', '--dns', 'localhost'], host('coordinator'));
    const sealed = json(join(host('coordinator'), 'roster.json')) as { roster: Roster; signatures: { site: string; signature: string }[] };
    const ghost = json(join(host('coordinator'), 'ghost', 'site-public.json')) as { id: string; x25519: string; signingKey: string };
    const roster: Roster = { ...sealed.roster, sites: [...sealed.roster.sites, { id: ghost.id, x25519: ghost.x25519, signingKey: ghost.signingKey }].sort((a, b) => (a.id < b.id ? -1 : 1)) };
    await writeFile(join(host('coordinator'), 'ghost.unsigned.json'), JSON.stringify({ roster, signatures: sealed.signatures }));
    const fp = fingerprintLine(await ok(['roster', 'show', '--roster', 'ghost.unsigned.json'], host('coordinator')));
    expect(normalizeFingerprint(fp)).toBe(rosterFingerprint(roster));
    await ok(['roster', 'sign', '--roster', 'ghost.unsigned.json', '--site', 'ghost', '--signing-key', 'ghost/signing.key.pem', '--fingerprint', fp, '--out', 'ghost.roster-sig.json'], host('coordinator'));
    const ghostSig = json(join(host('coordinator'), 'ghost.roster-sig.json')) as { site: string; signature: string };
    const tampered = { roster, signatures: [...sealed.signatures, { site: 'ghost', signature: ghostSig.signature }].sort((a, b) => (a.site < b.site ? -1 : 1)) };
    await writeFile(join(host('coordinator'), 'roster.tampered.json'), JSON.stringify(tampered, null, 2));
    // roster seal will not bless it either: the real members signed another roster.
    const seal = await genofed(['roster', 'seal', '--roster', 'ghost.unsigned.json', '--signature', 'ghost.roster-sig.json', '--out', 'ghost.sealed.json'], { cwd: host('coordinator') });
    expect(seal.code).toBe(1);
    expect(seal.stderr).toContain('GENOFED_ROSTER_INCOMPLETE');

    await send('coordinator', 'roster.tampered.json', 'hospital-b');
    const c = json(join(host('hospital-b'), 'node.json'));
    // (a) The operator keeps the fingerprint it confirmed: the file is not that roster.
    await writeFile(join(host('hospital-b'), 'node.tampered.json'), JSON.stringify({ ...c, roster: { file: 'roster.tampered.json', fingerprint: read['hospital-b'] } }));
    const a = await genofed(['node', 'serve', '--config', 'node.tampered.json'], { cwd: host('hospital-b') });
    expect(a.code).not.toBe(0);
    expect(a.stdout).not.toContain('listening');
    expect(a.stderr).toContain('GENOFED_ROSTER_NOT_CONFIRMED');
    // (b) Even an operator talked into the tampered fingerprint gets no node: the real members' signatures do not verify.
    await writeFile(join(host('hospital-b'), 'node.tricked.json'), JSON.stringify({ ...c, roster: { file: 'roster.tampered.json', fingerprint: fp } }));
    const b = await genofed(['node', 'serve', '--config', 'node.tricked.json'], { cwd: host('hospital-b') });
    expect(b.code).not.toBe(0);
    expect(b.stdout).not.toContain('listening');
    expect(b.stderr).toContain('GENOFED_ROSTER_NOT_CONFIRMED');
    expect(b.stderr).toMatch(/the signature of hospital-[abc] does not verify for this roster/);
  });
});

describe('deploy walkthrough guard', () => {
  it('in CI openssl and bcftools are present, so the walkthrough really ran', () => {
    if (process.env.CI) expect(hasOpenssl && has('bcftools')).toBe(true);
    if (hasOpenssl && has('bcftools')) expect(ranWalkthrough).toBe(true);
  });
});
