/**
 * A whole consortium on one machine, as separate processes: network init,
 * per-site shares of the input samples, one store per site, N `node serve`
 * and one `coordinator serve` on loopback with mTLS. Used by `genofed demo`
 * and by the end-to-end tests (which also kill nodes to test failures).
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { CoordinatorError } from '../errors.js';
import { draftSchema, EMPTY_SCHEMA } from '../../proto/phenotype-schema.js';
import { networkInit, type NetworkLayout } from '../network/init.js';
import { ApiClient } from '../client/api-client.js';
import { Children, parseHostPort, type Child } from './children.js';
import { DEMO_ARM_COLUMN, withDemoArm } from './demo-arm.js';
import { demoExpression, EXPRESSION_GENES, matrixText } from './demo-expression.js';
import type { SyntheticExpression } from './synthetic-expression.js';
import { readPhenotypeTable, ReferenceCounts } from './plaintext-reference.js';
import { assignSamples, createVcfSplitter, splitPhenotypes, type SplitStats } from './split-samples.js';
import { vcfLines, vcfSampleIds } from './vcf-lines.js';
import { withOperatorPath } from '../../proto/operator-path.js';

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

export interface ConsortiumOptions {
  readonly vcfs?: readonly string[];
  /** Default: the 1000G panel when `vcfs` is not given, none otherwise. */
  readonly phenotypes?: string;
  readonly sites?: number;
  /** Working folder (consortium, shares); must not exist yet. */
  readonly out: string;
  /** Where each process's output goes (`<name>.log`). */
  readonly logDir: string;
  readonly preset?: 'default' | 'test';
  /** Sites answer within this many ms or count as failed (coordinator deadlines.queryMs). */
  readonly queryDeadlineMs?: number;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface Consortium {
  readonly sites: readonly string[];
  readonly url: string;
  readonly token: string;
  readonly layout: NetworkLayout;
  readonly children: Children;
  readonly nodes: Readonly<Record<string, Child>>;
  readonly coordinator: Child;
  /** Share files of each site (VCFs, then phenotypes.tsv when present). */
  readonly shares: Readonly<Record<string, { vcfs: readonly string[]; phenotypes: string | null }>>;
  /** The unsplit input VCFs (absolute paths), for checks that re-read them. */
  readonly vcfs: readonly string[];
  /** Plaintext counts of the unsplit input. */
  readonly reference: ReferenceCounts;
  readonly genotyped: ReadonlySet<string>;
  readonly phenotypeTable: ReturnType<typeof readPhenotypeTable> | null;
  /** The synthetic expression matrix every site ingested its columns of (issue 12); null without demo_arm and gender. */
  readonly expression: SyntheticExpression | null;
  readonly timingsMs: Record<string, number>;
  /** Aborted on SIGINT/SIGTERM of this process (or the caller's signal). */
  readonly signal: AbortSignal;
  /** Race a promise against `signal`. */
  guard<T>(p: Promise<T>): Promise<T>;
  client(): ApiClient;
  /** Stop every process (SIGTERM, then SIGKILL after 10 s); delete keys, stores and shares unless `keep`. */
  stop(options?: { keep?: boolean }): Promise<void>;
}

function siteNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (n <= 26 ? `hospital-${String.fromCharCode(97 + i)}` : `hospital-${i + 1}`));
}

export async function writeAtomic(path: string, data: string, mode = 0o644): Promise<void> {
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

export async function startConsortium(o: ConsortiumOptions): Promise<Consortium> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const root = packageRoot();
  const vcfs = o.vcfs?.length ? o.vcfs.map((v) => resolve(v)) : DEFAULT_VCFS.map((v) => join(root, v));
  const phenotypes = o.phenotypes ? resolve(o.phenotypes) : o.vcfs?.length ? null : join(root, DEFAULT_PHENOTYPES);
  const nSites = o.sites ?? 3;
  // 3 at least: every node refuses a query whose participant set is smaller (issue 6: with fewer,
  // secure-aggregation masks would let a site's counts be derived from the total and its own).
  if (!Number.isInteger(nSites) || nSites < 3 || nSites > 64) throw new CoordinatorError('GENOFED_USAGE', '--sites: expected an integer from 3 to 64 (nodes refuse queries over fewer than 3 sites)');
  const preset = o.preset ?? 'default';
  const out = resolve(o.out);
  const timings: Record<string, number> = {};
  let tStep = performance.now();
  const step = (name: string): number => {
    const now = performance.now();
    timings[name] = Math.round(now - tStep);
    tStep = now;
    return timings[name];
  };

  await mkdir(out, { recursive: true, mode: 0o700 });
  await mkdir(o.logDir, { recursive: true });
  const sites = siteNames(nSites);
  const children = new Children(o.logDir, [join(root, 'bin', 'genofed.js')]);
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
  let stopped = false;
  const stop = async (options: { keep?: boolean } = {}): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await children.stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
    // The consortium folder holds private keys and patient-level stores: do not leave them behind.
    if (!options.keep) await rm(out, { recursive: true, force: true });
  };

  try {
    // 1. Who goes where: sample ids from every input, blocks over them.
    const idsPerVcf = await Promise.all(vcfs.map(vcfSampleIds));
    const allIds = idsPerVcf.flat();
    const genotyped = new Set(allIds);
    if (genotyped.size < nSites) throw new CoordinatorError('GENOFED_USAGE', `--sites ${nSites}: the input has only ${genotyped.size} samples`);
    const assignment = assignSamples(allIds, nSites);
    log(`demo: ${vcfs.length} VCF(s), ${genotyped.size} samples -> ${nSites} sites (${sites.join(', ')}); BFV preset '${preset}'`);

    // 2. The consortium phenotype schema: a draft from the table (categorical columns with their values,
    // numeric ones in bins, identifier-like and all-distinct columns left out), as a consortium would
    // start from and then review; it goes into the roster every site signs. The demo first adds its
    // random `demo_arm` column (demo-arm.ts): a case/control split independent of everything else, for
    // the null association.
    let phenotypeTable: ReturnType<typeof readPhenotypeTable> | null = null;
    let phenotypeText: string | null = null;
    let schema = EMPTY_SCHEMA;
    if (phenotypes) {
      phenotypeText = await readFile(phenotypes, 'utf8').catch((cause: unknown) => {
        throw withOperatorPath(new CoordinatorError('GENOFED_USAGE', `${basename(phenotypes)}: cannot read phenotype table`, { cause }), phenotypes);
      });
      phenotypeText = withDemoArm(phenotypeText);
      phenotypeTable = readPhenotypeTable(phenotypeText);
      const rows = [...phenotypeTable.rows.values()];
      schema = draftSchema(phenotypeTable.columns.map((c) => ({ name: c.name, values: rows.map((r) => r[c.name] ?? null) })));
      log(`demo: phenotype schema drafted from ${basename(phenotypes)} plus a random ${DEMO_ARM_COLUMN} column: ${schema.columns.map((c) => `${c.name} (${c.type === 'categorical' ? `${c.values.length} values` : `${c.bins.length - 1} bins`})`).join(', ') || 'no queryable column'}`);
    }

    // 3. The consortium: CA, certificates, keys, the roster every site signs, configs (ports chosen at start-up).
    const layout = await guard(networkInit({ sites, out: join(out, 'network'), host: '127.0.0.1', basePort: 0, preset, queriers: ['demo'], schema, consortium: 'genofed demo consortium (network init: one machine made every key)' }));
    log(`demo: consortium created (CA, mTLS certificates, BFV, Ed25519 and X25519 keys, roster ${layout.rosterFingerprint.slice(0, 16)}... signed by every site) in ${step('networkInitMs')} ms`);

    // 4. Split each VCF by samples, and count the unsplit input in plaintext on the way.
    const reference = new ReferenceCounts();
    const stats: SplitStats = { records: 0, alleles: 0 };
    const shares: Record<string, { vcfs: string[]; phenotypes: string | null }> = Object.fromEntries(sites.map((s) => [s, { vcfs: [], phenotypes: null }]));
    for (const [i, vcf] of vcfs.entries()) {
      const label = basename(vcf);
      const splitter = createVcfSplitter(nSites, assignment, stats, label);
      const writers = await Promise.all(sites.map(async (site, s) => {
        if (!idsPerVcf[i]!.some((id) => assignment.get(id) === s)) return null;
        const dir = join(out, 'shares', site);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const file = join(dir, `${i + 1}-${label.replace(/\.(vcf|bcf)(\.gz)?$/, '')}.vcf.gz`);
        shares[site]!.vcfs.push(file);
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
    // 4b. A synthetic RNA-seq count matrix over the genotyped samples (demo-expression.ts): planted
    // effects between the random demo arms and by gender; each site gets its samples' columns.
    let expression: SyntheticExpression | null = null;
    const expressionShares: Record<string, string> = {};
    if (phenotypeTable && phenotypeTable.columns.some((c) => c.name === 'gender')) {
      const ids = [...genotyped].filter((id) => phenotypeTable!.rows.has(id));
      // cis-eQTL planted on the first VCF's real genotypes when it holds every sample (the default MTHFR window does).
      const firstIds = new Set(idsPerVcf[0] ?? []);
      const cisVcf = /\.gz$/.test(vcfs[0] ?? '') && ids.every((id) => firstIds.has(id)) ? vcfs[0] : undefined;
      expression = demoExpression(ids, phenotypeTable, cisVcf);
      for (const [s, site] of sites.entries()) {
        const columns = ids.map((id, j) => ({ id, j })).filter(({ id }) => assignment.get(id) === s).map(({ j }) => j);
        if (columns.length === 0) continue;
        const file = join(out, 'shares', site, 'expression.tsv');
        await mkdir(dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(file, matrixText(expression, columns), { mode: 0o600 });
        expressionShares[site] = file;
      }
      log(`demo: synthetic RNA-seq counts, ${EXPRESSION_GENES} genes x ${ids.length} samples (planted differences between the ${DEMO_ARM_COLUMN} groups and by gender), split with the VCFs`);
    }
    if (phenotypes && phenotypeText !== null) {
      const parts = splitPhenotypes(phenotypeText, nSites, assignment);
      await Promise.all(sites.map(async (site, s) => {
        const file = join(out, 'shares', site, 'phenotypes.tsv');
        await mkdir(dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(file, parts[s]!, { mode: 0o600 });
        shares[site]!.phenotypes = file;
      }));
    }
    log(`demo: split ${stats.records} records (${stats.alleles} ALT alleles) into per-site shares in ${step('splitMs')} ms`);

    // 5. Each site ingests its own share into its own store (two at a time: 2 cores). The demo data are
    // public 1000 Genomes ids, so the sites accept raw ids explicitly (--raw-ids); a hospital
    // pseudonymizes first and ingests with --key-file (deploy/README.md).
    const queue = sites.map((site) => async () => {
      const args = ['node', 'ingest', '--store', layout.siteStores[site]!, '--raw-ids'];
      for (const f of shares[site]!.vcfs) args.push('--vcf', f);
      if (shares[site]!.phenotypes) args.push('--phenotypes', shares[site]!.phenotypes!, '--schema', layout.rosterFile);
      if (expressionShares[site]) args.push('--expression', expressionShares[site]!, '--values', 'counts');
      await guard(children.run(`ingest-${site}`, args));
    });
    await Promise.all(Array.from({ length: Math.min(2, queue.length) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }));
    log(`demo: ${nSites} stores ingested in ${step('ingestMs')} ms`);

    // 6. Start the nodes, learn their ports, point the coordinator at them, start it.
    const nodeList = sites.map((site) => children.start(`node-${site}`, ['node', 'serve', '--config', layout.siteConfigs[site]!]));
    const addresses = await guard(Promise.all(nodeList.map(async (c) => parseHostPort((await c.waitForLine(/listening grpc (\S+)/, 90_000))[1]!))));
    const config = JSON.parse(await readFile(layout.coordinatorConfig, 'utf8')) as {
      sites: { id: string; address: string }[];
      listen: { host: string; port: number };
      deadlines?: { infoMs: number; queryMs: number };
    };
    config.sites = sites.map((id, s) => ({ id, address: `127.0.0.1:${addresses[s]!.port}` }));
    config.listen = { host: '127.0.0.1', port: 0 };
    if (o.queryDeadlineMs !== undefined) config.deadlines = { infoMs: config.deadlines?.infoMs ?? 5_000, queryMs: o.queryDeadlineMs };
    await writeAtomic(layout.coordinatorConfig, `${JSON.stringify(config, null, 2)}\n`);
    const coordinator = children.start('coordinator', ['coordinator', 'serve', '--config', layout.coordinatorConfig]);
    const rest = parseHostPort((await guard(coordinator.waitForLine(/listening rest (\S+)/, 90_000)))[1]!);
    const url = `http://${rest.host.includes(':') ? `[${rest.host}]` : rest.host}:${rest.port}`;
    log(`demo: ${nSites} nodes (gRPC, mTLS) and the coordinator (REST ${url}) started in ${step('startMs')} ms`);

    const tokens = JSON.parse(await readFile(layout.tokensFile, 'utf8')) as { querier: string; token: string }[];
    const token = tokens[0]!.token;
    return {
      sites, url, token, layout, children, coordinator, shares, vcfs, reference, genotyped, phenotypeTable, expression, signal, guard, stop,
      nodes: Object.fromEntries(sites.map((s, i) => [s, nodeList[i]!])),
      timingsMs: timings,
      client: () => new ApiClient({ url, token, timeoutMs: 600_000 }),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
