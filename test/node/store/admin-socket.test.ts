/**
 * `genofed node query` and `genofed node ingest` while a node serves the
 * store: a real node process (a `genofed network init --preset test`
 * consortium, the 1000 Genomes chr1 start ingested with --raw-ids, started
 * with `genofed node serve`) holds the DuckDB file, and the CLI goes through the
 * node's admin socket: the same output as offline, an ingest that the next
 * query sees, queries that wait for an ingest, an ingest rolled back when
 * its client goes away, a socket only its user can use, removed on
 * shutdown.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { chmod, cp, link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAdmin, openStore } from '../../../node/store/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/genofed.js');
const VCF = join(ROOT, 'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(ROOT, 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel');
const CHR22 = join(ROOT, 'test/fixtures/vcf/1kg_dev/uwgac_1KG_phase3_subset/1KG_phase3_subset_chr22.vcf.gz');
const GVCF = join(ROOT, 'test/fixtures/vcf/other_real/bio2zarr_NA12878.prod.chr20snippet.g.vcf.gz');
const IL2RA = join(ROOT, 'test/fixtures/vcf/1kg_dev/1KGP_hg19_IL2RA_1MB.vcf.gz');

interface Run { code: number | null; out: string; err: string }
function genofed(...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** The same, without blocking the test process (the node's answers arrive meanwhile). */
function genofedAsync(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    p.on('close', (code) => done({ code, out, err }));
  });
}

let scratch = '';
let store = '';
let copy = '';
let config = '';
let node: ReturnType<typeof spawn> | undefined;
let nodeExit: Promise<number | null>;
const offline: Record<string, Run> = {};

const QUERIES: Record<string, string[]> = {
  list: ['query', 'af', '--region', '1:10177-30000,1:50000-60000'],
  strata: ['query', 'af', '--region', '1:1-100000', '--by', 'super_pop', '--cohort', 'gender=female', '--format', 'json'],
  rsids: ['query', 'af', '--variants', 'VARIANTS'],
  cohort: ['query', 'cohort', '--cohort', 'super_pop=EUR'],
  badCohort: ['query', 'cohort', '--cohort', 'ancestry=EUR'],
};
const q = (name: string, dir = store): string[] => ['node', ...QUERIES[name]!.map((a) => (a === 'VARIANTS' ? join(scratch, 'variants.txt') : a)), '--store', dir];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'genofed-admin-'));
  const init = genofed('network', 'init', '--sites', 'a,b,c', '--out', join(scratch, 'net'), '--preset', 'test', '--base-port', '0');
  expect(init.code, init.err).toBe(0);
  store = join(scratch, 'net/sites/a/store');
  config = join(scratch, 'net/sites/a/node.json');
  const ing = genofed('node', 'ingest', '--raw-ids', '--store', store, '--vcf', VCF, '--phenotypes', PANEL);
  expect(ing.code, ing.err).toBe(0);
  await writeFile(join(scratch, 'variants.txt'), 'rs62636497\n1-10177-A-AC\nrs1\n');
  for (const name of Object.keys(QUERIES)) offline[name] = genofed(...q(name));
  expect(offline.cohort!.out).toBe('samples\n503\n');
  copy = join(scratch, 'copy');
  await cp(store, copy, { recursive: true });
  // What the ingests through the node will be compared with: the same ingests offline, on the copy.
  offline.ingest22 = genofed('node', 'ingest', '--raw-ids', '--store', copy, '--vcf', CHR22);
  offline.after22 = genofed('node', 'query', 'af', '--store', copy, '--region', '22:16000000-17000000');

  node = spawn(process.execPath, [CLI, 'node', 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  nodeExit = new Promise((r) => node!.on('exit', (code) => r(code)));
  let log = '';
  node.stderr!.on('data', (c: Buffer) => { log += c.toString(); });
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`node not ready: ${log.slice(-2000)}`)), 60_000);
    node!.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('listening grpc')) { clearTimeout(timer); ready(); } });
    node!.on('exit', () => fail(new Error(`node exited: ${log.slice(-2000)}`)));
  });
}, 180_000);

afterAll(async () => {
  if (node && node.exitCode === null) {
    node.kill('SIGTERM');
    await nodeExit;
  }
  await rm(scratch, { recursive: true, force: true });
});

describe('node query and node ingest while the node serves', () => {
  it('the node holds the store (a second open is GENOFED_STORE_LOCKED) and has an admin socket in the store folder', async () => {
    await expect(openStore(store, { readOnly: true })).rejects.toMatchObject({ code: 'GENOFED_STORE_LOCKED' });
    expect(lstatSync(join(store, 'admin.sock')).isSocket()).toBe(true);
  });

  it('answers node query af (region list, strata, rs ids) and node query cohort with the offline output, errors included', () => {
    for (const name of Object.keys(QUERIES)) {
      const served = genofed(...q(name));
      expect({ name, ...served }).toEqual({ name, ...offline[name] });
    }
    expect(offline.badCohort!.err).toMatch(/^genofed: GENOFED_BAD_COHORT:/);
    expect(offline.rsids!.err).toBe('note: 1 of 2 rs ids are not in the store (no rows): rs1\n');
  });

  it('the socket is owner-only (0600, this user) and refuses other users; the CLI refuses a socket with wider permissions', async () => {
    const sock = join(store, 'admin.sock');
    const st = lstatSync(sock);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.getuid!());
    await chmod(sock, 0o660);
    try {
      const r = genofed(...q('cohort'));
      expect(r.code).toBe(1);
      expect(r.err).toBe("genofed: GENOFED_ADMIN_SOCKET: the store folder's admin.sock is not an owner-only socket of this user (mode 660); refusing to use it\n");
    } finally {
      await chmod(sock, 0o600);
    }
    if (process.getuid!() !== 0) return; // switching to another user needs root
    // Another user, through the store folder (0700) and through a hard link in an open folder: refused by the socket's own mode.
    const open = join(scratch, 'open');
    await mkdir(open, { mode: 0o755 });
    await chmod(scratch, 0o755);
    await link(sock, join(open, 's'));
    const tryAs = (path: string): string => execFileSync(process.execPath, ['-e', `require('net').connect(${JSON.stringify(path)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })`], { uid: 65534, gid: 65534, encoding: 'utf8' }).trim();
    expect(tryAs(sock)).toBe('EACCES');
    expect(tryAs(join(open, 's'))).toBe('EACCES');
    await chmod(sock, 0o666); // control: the mode is what refuses
    try {
      expect(tryAs(join(open, 's'))).toBe('connected');
    } finally {
      await chmod(sock, 0o600);
      await rm(open, { recursive: true });
      await chmod(scratch, 0o700);
    }
  });

  it('an ingest through the node prints what the offline ingest prints, and the next query sees it', () => {
    const served = genofed('node', 'ingest', '--raw-ids', '--store', store, '--vcf', CHR22);
    expect(served).toEqual(offline.ingest22);
    expect(served.out).toContain('ingested 1 file(s), 1120 records');
    const after = genofed('node', 'query', 'af', '--store', store, '--region', '22:16000000-17000000');
    expect(after).toEqual(offline.after22);
    expect(after.out.split('\n').length).toBeGreaterThan(5);
  });

  it('an ingest whose client goes away midway is rolled back, the node still serving', async () => {
    const before = genofed('node', 'query', 'af', '--store', store, '--region', '20');
    expect(before.out).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt\n');
    // The raw protocol: disconnect at the first progress line (inside the transaction).
    await new Promise<void>((done, fail) => {
      const s = connect(join(store, 'admin.sock'));
      s.on('connect', () => s.write(`${JSON.stringify({ v: 1, op: 'ingest', args: { rawIds: true, vcfs: [GVCF] } })}\n`));
      s.on('data', (c: Buffer) => {
        if (c.toString().includes('"progress"')) { s.destroy(); done(); } else fail(new Error(c.toString()));
      });
      s.on('error', fail);
    });
    const after = await genofedAsync('node', 'query', 'af', '--store', store, '--region', '20');
    expect(after).toEqual(before);
    expect(genofed(...q('cohort'))).toEqual(offline.cohort);
  });

  it('queries wait for an ingest through the node and then see all of it', async () => {
    const admin = (await connectAdmin(store))!;
    const answered: string[] = [];
    let queryDuringIngest: Promise<unknown[]> | undefined;
    // Asked at the first progress line, inside the ingest's transaction: the node queues it behind the ingest.
    const report = await admin.ingest({ rawIds: true, vcfs: [IL2RA] }, () => {
      queryDuringIngest ??= admin.alleleCounts({ regions: [{ chrom: '10', start: 1, end: 2 ** 31 - 1 }] }).then((rows) => { answered.push('query'); return rows; });
    }).then((r) => { answered.push('ingest'); return r; });
    expect(report.variants).toBe(3596);
    const rows = await queryDuringIngest!;
    expect(answered).toEqual(['ingest', 'query']);
    expect(rows.length).toBeGreaterThanOrEqual(3596); // the whole file: nothing half-written was seen
    expect(JSON.parse(genofed('node', 'query', 'af', '--store', store, '--region', '10', '--format', 'json').out)).toHaveLength(rows.length);
  });

  it('refuses a malformed request or another protocol version with a coded error line', async () => {
    const ask = (line: string): Promise<unknown> => new Promise((done, fail) => {
      const s = connect(join(store, 'admin.sock'));
      let buf = '';
      s.on('connect', () => s.write(`${line}\n`));
      s.on('data', (c: Buffer) => { buf += c.toString(); });
      s.on('close', () => done(JSON.parse(buf)));
      s.on('error', fail);
    });
    expect(await ask('not json')).toEqual({ type: 'error', code: 'GENOFED_ADMIN_SOCKET', message: 'malformed admin request: not JSON' });
    expect(await ask(JSON.stringify({ v: 2, op: 'summary', args: {} }))).toEqual({ type: 'error', code: 'GENOFED_ADMIN_SOCKET', message: 'malformed admin request: protocol version is not 1 (a genofed of another version?)' });
    expect(await ask(JSON.stringify({ v: 1, op: 'drop', args: {} }))).toEqual({ type: 'error', code: 'GENOFED_ADMIN_SOCKET', message: 'malformed admin request: unknown operation' });
    expect(await ask(JSON.stringify({ v: 1, op: 'summary', args: {} }))).toMatchObject({ type: 'result', value: { samples: 2504, assembly: 'GRCh37' } });
  });

  it('stops on SIGTERM, removing the socket; the same queries then open the file', async () => {
    const served = genofed(...q('cohort'));
    node!.kill('SIGTERM');
    expect(await nodeExit).toBe(0);
    expect(() => lstatSync(join(store, 'admin.sock'))).toThrow();
    expect(readFileSync(join(store, 'store.duckdb')).length).toBeGreaterThan(0);
    expect(genofed(...q('cohort'))).toEqual(served);
    const again = genofed('node', 'query', 'af', '--store', store, '--region', '22:16000000-17000000');
    expect(again).toEqual(offline.after22);
  });
});
