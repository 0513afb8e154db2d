/**
 * `genofed demo`: the whole product on one machine. Creates a consortium of
 * N sites, splits the samples of the input VCF(s) (default: real 1000
 * Genomes data shipped in the repo) across them, ingests each share into
 * its own node store, starts N `node serve` and one `coordinator serve` as
 * separate processes on loopback with mTLS, runs an allele-frequency query
 * over every variant and a cohort count through the REST API, writes
 * DIR/af.tsv and DIR/cohort.json, checks every number against a plaintext
 * computation on the unsplit input, and stops everything it started.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import type { AlleleFrequencyRow, CohortCountAnswer, SiteOutcome } from '../federation/types.js';
import { CoordinatorError } from '../errors.js';
import { networkInit } from '../network/init.js';
import { ApiClient } from '../client/api-client.js';
import { afTsv, formatAf } from '../client/format.js';
import { Children, parseHostPort } from './children.js';
import { comparisonKey, readPhenotypeTable, ReferenceCounts, referenceCohortCount, type ReferenceRow } from './plaintext-reference.js';
import { assignSamples, createVcfSplitter, splitPhenotypes, type SplitStats } from './split-samples.js';
import { vcfLines, vcfSampleIds } from './vcf-lines.js';

/** The package root (holds package.json and bin/), found from this file in src or dist. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'genofed.js'))) return dir;
    dir = dirname(dir);
  }
  throw new CoordinatorError('GENOFED_DEMO_PROCESS', 'cannot find the genofed package root');
}

/** Real 1000G Phase 3 data, 2,504 samples: SNPs of all frequencies, indels, multi-allelic and symbolic ALTs. */
export const DEFAULT_VCFS = [
  'test/fixtures/vcf/1kg_dev/genotype_plot_chr1_MTHFR_2504.vcf.gz',
  'test/fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz',
];
export const DEFAULT_PHENOTYPES = 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel';
export const DEFAULT_COHORT = 'super_pop=EUR and gender=female';
const MARKER = '.genofed-demo';

export interface DemoOptions {
  readonly vcfs?: readonly string[];
  readonly phenotypes?: string;
  readonly cohort?: string;
  readonly sites?: number;
  readonly out: string;
  readonly preset?: 'default' | 'test';
  /** Replace an existing demo folder (only one this command made: it has the marker file). */
  readonly force?: boolean;
  /** Keep the consortium folder (keys, stores) and the shares instead of deleting them at the end. */
  readonly keep?: boolean;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  readonly out: string;
  readonly sites: readonly string[];
  readonly variants: number;
  readonly rows: readonly AlleleFrequencyRow[];
  readonly siteOutcome: SiteOutcome;
  readonly cohort: (CohortCountAnswer & { expression: string; expected: number }) | null;
  readonly mismatches: number;
  /** Every process the demo started (all gone when runDemo returns). */
  readonly pids: readonly number[];
  readonly timingsMs: Readonly<Record<string, number>>;
}

function siteNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (n <= 26 ? `hospital-${String.fromCharCode(97 + i)}` : `hospital-${i + 1}`));
}

async function prepareOut(out: string, force: boolean): Promise<void> {
  const entries = await readdir(out).catch(() => null);
  if (entries && entries.length > 0) {
    if (!force) throw new CoordinatorError('GENOFED_OUTPUT_EXISTS', `${basename(out)}: output folder is not empty (use --force to replace an earlier demo run)`);
    if (!entries.includes(MARKER)) throw new CoordinatorError('GENOFED_OUTPUT_EXISTS', `${basename(out)}: not a folder made by genofed demo; refusing to delete it even with --force`);
    await rm(out, { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });
  await writeFile(join(out, MARKER), 'made by genofed demo; --force may delete this folder\n');
  await mkdir(join(out, 'logs'), { recursive: true });
}

async function writeAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    await writeFile(tmp, data, { mode, flag: 'w' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Buffered line writer into a gzip file (level 1: the shares are scratch, speed matters). */
class ShareWriter {
  private buf: string[] = [];
  private size = 0;
  private readonly gz = createGzip({ level: 1 });
  private readonly file: WriteStream;
  constructor(path: string) {
    this.file = createWriteStream(path, { mode: 0o600 });
    this.gz.pipe(this.file);
  }
  async line(s: string): Promise<void> {
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.size >= 1 << 20) await this.flush();
  }
  private async flush(): Promise<void> {
    if (!this.buf.length) return;
    const ok = this.gz.write(`${this.buf.join('\n')}\n`);
    this.buf = [];
    this.size = 0;
    if (!ok) await once(this.gz, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.gz.end();
    await once(this.file, 'close');
  }
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const root = packageRoot();
  const vcfs = (o.vcfs?.length ? o.vcfs.map((v) => resolve(v)) : DEFAULT_VCFS.map((v) => join(root, v)));
  const phenotypes = o.phenotypes ? resolve(o.phenotypes) : o.vcfs?.length ? null : join(root, DEFAULT_PHENOTYPES);
  const cohortExpr = o.cohort ?? DEFAULT_COHORT;
  const nSites = o.sites ?? 3;
  if (!Number.isInteger(nSites) || nSites < 1 || nSites > 64) throw new CoordinatorError('GENOFED_USAGE', '--sites: expected an integer from 1 to 64');
  const preset = o.preset ?? 'default';
  const out = resolve(o.out);
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  let tStep = t0;
  const step = (name: string): void => {
    const now = performance.now();
    timings[name] = Math.round(now - tStep);
    tStep = now;
  };

  await prepareOut(out, o.force ?? false);
  const sites = siteNames(nSites);
  const children = new Children(join(out, 'logs'), [join(root, 'bin', 'genofed.js')]);
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`demo: ${sig}: stopping every process it started`);
    abort.abort(new CoordinatorError('GENOFED_DEMO_PROCESS', `interrupted by ${sig}`));
  };
  const onExit = (): void => children.killAllNow();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  const signal = o.signal ? AbortSignal.any([o.signal, abort.signal]) : abort.signal;
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted]);

  try {
    // 1. Who goes where: sample ids from every input, blocks over them.
    const idsPerVcf = await Promise.all(vcfs.map(vcfSampleIds));
    const allIds = idsPerVcf.flat();
    if (allIds.length < nSites) throw new CoordinatorError('GENOFED_USAGE', `--sites ${nSites}: the input has only ${new Set(allIds).size} samples`);
    const assignment = assignSamples(allIds, nSites);
    const genotyped = new Set(allIds);
    log(`demo: ${vcfs.length} VCF(s), ${genotyped.size} samples -> ${nSites} sites (${sites.join(', ')}); BFV preset '${preset}'`);

    // 2. The consortium: CA, certificates, keys, configs (ports chosen at start-up).
    const layout = await guard(networkInit({ sites, out: join(out, 'network'), host: '127.0.0.1', basePort: 0, preset, queriers: ['demo'] }));
    step('networkInitMs');
    log(`demo: consortium created (CA, mTLS certificates, BFV and Ed25519 keys) in ${timings.networkInitMs} ms`);

    // 3. Split each VCF by samples, and count the unsplit input in plaintext on the way.
    const reference = new ReferenceCounts();
    const stats: SplitStats = { records: 0, alleles: 0 };
    const shareFiles: string[][] = sites.map(() => []);
    for (const [i, vcf] of vcfs.entries()) {
      const label = basename(vcf);
      const splitter = createVcfSplitter(nSites, assignment, stats, label);
      const has = sites.map((_, s) => idsPerVcf[i]!.some((id) => assignment.get(id) === s));
      const writers = await Promise.all(sites.map(async (site, s) => {
        if (!has[s]) return null;
        const dir = join(out, 'shares', site);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const file = join(dir, `${i + 1}-${label.replace(/\.(vcf|bcf)(\.gz)?$/, '')}.vcf.gz`);
        shareFiles[s]!.push(file);
        return new ShareWriter(file);
      }));
      let n = 0;
      for await (const line of vcfLines(vcf, signal)) {
        n += 1;
        const parts = splitter.line(line, n);
        if (line !== '' && !line.startsWith('#')) reference.addLine(line);
        for (let s = 0; s < nSites; s++) {
          const p = parts[s];
          if (p != null && writers[s]) await writers[s]!.line(p);
        }
      }
      await Promise.all(writers.map((w) => w?.close()));
    }
    let phenotypeTable: ReturnType<typeof readPhenotypeTable> | null = null;
    if (phenotypes) {
      const text = await readFile(phenotypes, 'utf8').catch((cause: unknown) => {
        throw new CoordinatorError('GENOFED_USAGE', `${basename(phenotypes)}: cannot read phenotype table`, { cause });
      });
      phenotypeTable = readPhenotypeTable(text);
      const shares = splitPhenotypes(text, nSites, assignment);
      await Promise.all(sites.map(async (site, s) => {
        await mkdir(join(out, 'shares', site), { recursive: true, mode: 0o700 });
        await writeFile(join(out, 'shares', site, 'phenotypes.tsv'), shares[s]!, { mode: 0o600 });
      }));
    }
    step('splitMs');
    log(`demo: split ${stats.records} records (${stats.alleles} ALT alleles) into per-site shares in ${timings.splitMs} ms`);

    // 4. Each site ingests its own share into its own store (two at a time: 2 cores).
    const queue = sites.map((site, s) => async () => {
      const args = ['node', 'ingest', '--store', layout.siteStores[site]!];
      for (const f of shareFiles[s]!) args.push('--vcf', f);
      if (phenotypes) args.push('--phenotypes', join(out, 'shares', site, 'phenotypes.tsv'));
      await guard(children.run(`ingest-${site}`, args));
    });
    const workers = Array.from({ length: Math.min(2, queue.length) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    });
    await Promise.all(workers);
    step('ingestMs');
    log(`demo: ${nSites} stores ingested in ${timings.ingestMs} ms`);

    // 5. Start the nodes, learn their ports, point the coordinator at them, start it.
    const nodes = sites.map((site) => children.start(`node-${site}`, ['node', 'serve', '--config', layout.siteConfigs[site]!]));
    const addresses = await guard(Promise.all(nodes.map(async (c) => parseHostPort((await c.waitForLine(/listening grpc (\S+)/, 90_000))[1]!))));
    const config = JSON.parse(await readFile(layout.coordinatorConfig, 'utf8')) as { sites: { id: string; address: string }[]; listen: { host: string; port: number } };
    config.sites = sites.map((id, s) => ({ id, address: `127.0.0.1:${addresses[s]!.port}` }));
    config.listen = { host: '127.0.0.1', port: 0 };
    await writeAtomic(layout.coordinatorConfig, `${JSON.stringify(config, null, 2)}\n`);
    const coordinator = children.start('coordinator', ['coordinator', 'serve', '--config', layout.coordinatorConfig]);
    const rest = parseHostPort((await guard(coordinator.waitForLine(/listening rest (\S+)/, 90_000)))[1]!);
    const url = `http://${rest.host.includes(':') ? `[${rest.host}]` : rest.host}:${rest.port}`;
    step('startMs');
    log(`demo: ${nSites} nodes (gRPC, mTLS) and the coordinator (REST ${url}) started in ${timings.startMs} ms`);

    // 6. Ask the network, as a researcher would (REST + bearer token).
    const tokens = JSON.parse(await readFile(layout.tokensFile, 'utf8')) as { querier: string; token: string }[];
    const api = new ApiClient({ url, token: tokens[0]!.token, timeoutMs: 600_000 });
    const regions = contigRegions(reference.rows.values());
    const rows: AlleleFrequencyRow[] = [];
    let siteOutcome: SiteOutcome = { responding: [], missing: [] };
    for (const region of regions) {
      const answer = await guard(api.alleleFrequency({ region }, signal));
      rows.push(...answer.rows);
      siteOutcome = answer.sites;
      log(`demo: allele-frequency ${region}: ${answer.rows.length} rows from ${answer.sites.responding.join(', ')} (query ${answer.queryId})`);
    }
    step('afQueryMs');
    let cohort: DemoResult['cohort'] = null;
    if (phenotypeTable) {
      const answer = await guard(api.cohortCount({ cohort: cohortExpr }, signal));
      cohort = { ...answer, expression: cohortExpr, expected: referenceCohortCount(cohortExpr, phenotypeTable, genotyped) };
      log(`demo: cohort '${cohortExpr}': ${answer.count} patients (query ${answer.queryId})`);
    } else {
      log('demo: cohort count skipped: --vcf was given without --phenotypes');
    }
    step('cohortQueryMs');

    // 7. Results, written atomically.
    await writeAtomic(join(out, 'af.tsv'), [...afTsv(rows)].join(''));
    await writeAtomic(join(out, 'cohort.json'), `${JSON.stringify(cohort ?? { skipped: 'no phenotype table (--vcf without --phenotypes)' }, null, 2)}\n`);

    // 8. Check against the plaintext computation on the unsplit input.
    const mismatches = compare(rows, reference.rows, log);
    const cohortOk = !cohort || cohort.count === cohort.expected;
    printSummary(rows, siteOutcome, cohort, log);
    timings.totalMs = Math.round(performance.now() - t0);
    if (mismatches > 0 || !cohortOk) {
      throw new CoordinatorError('GENOFED_DEMO_MISMATCH', `${mismatches} of ${reference.rows.size} variants differ from the plaintext computation${cohortOk ? '' : '; the cohort count differs too'} (results are in ${basename(out)}/af.tsv)`);
    }
    log(`verified: ${rows.length} variants, all equal to the plaintext computation on the unsplit input (AC, AN, nhomalt)${cohort ? `; cohort count ${cohort.count} equals the phenotype table's` : ''}`);
    log(`demo: done in ${(timings.totalMs / 1000).toFixed(1)} s; results in ${out}/af.tsv and ${out}/cohort.json`);
    return { out, sites, variants: rows.length, rows, siteOutcome, cohort, mismatches, pids: children.pids, timingsMs: timings };
  } finally {
    await children.stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
    if (!o.keep) {
      // The consortium folder holds private keys and patient-level stores: do not leave them behind.
      await rm(join(out, 'network'), { recursive: true, force: true });
      await rm(join(out, 'shares'), { recursive: true, force: true });
    }
  }
}

/** One region per contig from its first to its last position: together they cover every input variant. */
export function contigRegions(rows: Iterable<ReferenceRow>): string[] {
  const span = new Map<string, [number, number]>();
  for (const r of rows) {
    const s = span.get(r.chrom);
    if (!s) span.set(r.chrom, [r.pos, r.pos]);
    else {
      if (r.pos < s[0]) s[0] = r.pos;
      if (r.pos > s[1]) s[1] = r.pos;
    }
  }
  return [...span].map(([chrom, [a, b]]) => `${chrom}:${a}-${b}`);
}

/** Count (and show up to 5 of) the variants whose federated numbers differ from the reference, or that one side lacks. */
export function compare(rows: readonly AlleleFrequencyRow[], reference: ReadonlyMap<string, ReferenceRow>, log: (l: string) => void): number {
  let bad = 0;
  const seen = new Set<string>();
  const show = (l: string): void => {
    if (bad <= 5) log(`demo: MISMATCH ${l}`);
  };
  for (const r of rows) {
    const key = comparisonKey(r);
    seen.add(key);
    const e = reference.get(key);
    if (!e) {
      bad += 1;
      show(`${r.chrom}:${r.pos} ${r.ref}>${r.alt}: in the federated answer, not in the input`);
    } else if (e.ac !== r.ac || e.an !== r.an || e.nhomalt !== r.nhomalt) {
      bad += 1;
      show(`${r.chrom}:${r.pos} ${r.ref}>${r.alt}: federated ac/an/nhomalt ${r.ac}/${r.an}/${r.nhomalt}, plaintext ${e.ac}/${e.an}/${e.nhomalt}`);
    }
  }
  for (const [key, e] of reference) {
    if (!seen.has(key)) {
      bad += 1;
      show(`${e.chrom}:${e.pos} ${e.ref}>${e.alt}: in the input, missing from the federated answer`);
    }
  }
  return bad;
}

function printSummary(rows: readonly AlleleFrequencyRow[], sites: SiteOutcome, cohort: DemoResult['cohort'], log: (l: string) => void): void {
  const head = rows.slice(0, 8);
  const cols = ['chrom', 'pos', 'ref', 'alt', 'ac', 'an', 'af', 'nhomalt'];
  const cell = (r: AlleleFrequencyRow): string[] => [r.chrom, String(r.pos), clip(r.ref), clip(r.alt), String(r.ac), String(r.an), formatAf(r.af, r.an), String(r.nhomalt)];
  const table = [cols, ...head.map(cell)];
  const widths = cols.map((_, j) => Math.max(...table.map((t) => t[j]!.length)));
  log('');
  for (const t of table) log(`  ${t.map((c, j) => c.padStart(widths[j]!)).join('  ')}`);
  if (rows.length > head.length) log(`  ... ${rows.length - head.length} more rows in af.tsv`);
  const ac = rows.reduce((s, r) => s + r.ac, 0);
  const poly = rows.filter((r) => r.ac > 0).length;
  log(`  ${rows.length} ALT alleles, ${poly} seen at least once, total AC ${ac}; sites: ${sites.responding.join(', ')}${sites.missing.length ? `; missing: ${sites.missing.map((m) => m.site).join(', ')}` : ''}`);
  if (cohort) log(`  cohort '${cohort.expression}': ${cohort.count} patients`);
  log('');
}

function clip(s: string): string {
  return s.length > 12 ? `${s.slice(0, 9)}...` : s;
}
