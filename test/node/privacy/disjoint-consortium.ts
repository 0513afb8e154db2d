/**
 * Test harness (not a test): a consortium of N sites holding DISJOINT real
 * samples, each site a real `genofed node serve` process with mTLS, set up
 * the way a hospital does it through the CLI: network init (one machine,
 * tests only) with the consortium phenotype schema in the roster, the
 * 1000 Genomes chr1 VCF and the panel split by sample into one share per
 * site, `genofed node ingest --schema roster.json --raw-ids` per site.
 *
 * The panel gets two extra columns the attacks need: `age` (integer,
 * 5-year bins) and `diagnosis`, where exactly one patient (HG00096, EUR)
 * has `rare-x` and three have `rare-y` (network cohorts of 1 and 3).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { join, resolve } from 'node:path';
import { Children, parseHostPort, type Child } from '../../../coordinator/demo/children.js';
import { ReferenceCounts } from '../../../coordinator/demo/plaintext-reference.js';
import { assignSamples, createVcfSplitter, splitPhenotypes } from '../../../coordinator/demo/split-samples.js';
import { networkInit, type NetworkInitOptions, type NetworkLayout } from '../../../coordinator/network/init.js';
import { parsePhenotypeSchema, type PhenotypeSchema } from '../../../proto/phenotype-schema.js';

const ROOT = resolve(import.meta.dirname, '../../..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const VCF = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
export const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
const CLI = join(ROOT, 'bin', 'genofed.js');

export const RARE_X = ['HG00096'];
export const RARE_Y = ['HG00097', 'NA12878', 'NA18525'];

export async function attackSchema(): Promise<PhenotypeSchema> {
  const panel = JSON.parse(await readFile(join(FIXTURES, 'panel', 'panel.schema.json'), 'utf8')) as { columns: object[] };
  return parsePhenotypeSchema({
    format: 'genofed-phenotype-schema', version: 1,
    columns: [
      ...panel.columns,
      { name: 'age', type: 'integer', bins: Array.from({ length: 21 }, (_, i) => i * 5), description: 'age in 5-year bins' },
      { name: 'diagnosis', type: 'categorical', values: ['none', 'rare-x', 'rare-y'] },
    ],
  });
}

export interface DisjointConsortium {
  readonly dir: string;
  readonly layout: NetworkLayout;
  readonly sites: readonly string[];
  /** Sample ids each site holds. */
  readonly samples: Readonly<Record<string, readonly string[]>>;
  /** Plaintext AC/AN/nhomalt of each site's share (what the attacker must never learn). */
  readonly reference: Readonly<Record<string, ReferenceCounts>>;
  readonly ports: Record<string, number>;
  readonly children: Children;
  readonly nodes: Record<string, Child>;
  start(site: string): Promise<number>;
  stop(site: string): Promise<void>;
  close(): Promise<void>;
}

async function* gzLines(path: string): AsyncGenerator<string> {
  yield* createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
}

export async function startDisjointConsortium(dir: string, sites: readonly string[], options: { privacy?: NetworkInitOptions['privacy'] } = {}): Promise<DisjointConsortium> {
  const schema = await attackSchema();
  const layout = await networkInit({ sites, out: join(dir, 'net'), preset: 'test', basePort: 0, schema, ...(options.privacy ? { privacy: options.privacy } : {}) });
  // Split the VCF's samples into one contiguous block per site (1000G lists samples by population).
  let ids: string[] = [];
  for await (const l of gzLines(VCF)) if (l.startsWith('#CHROM')) { ids = l.split('\t').slice(9); break; }
  const assignment = assignSamples(ids, sites.length);
  const stats = { records: 0, alleles: 0 };
  const splitter = createVcfSplitter(sites.length, assignment, stats, 'chr1.vcf');
  const shareLines: string[][] = sites.map(() => []);
  let n = 0;
  for await (const l of gzLines(VCF)) {
    n += 1;
    splitter.line(l, n).forEach((out, i) => { if (out !== null) shareLines[i]!.push(out); });
  }
  const panelRows = (await readFile(PANEL, 'utf8')).split('\n').filter(Boolean);
  const table = [
    'sample\tpop\tsuper_pop\tgender\tage\tdiagnosis',
    ...panelRows.slice(1).map((l, i) => {
      const f = l.split('\t').slice(0, 4);
      const diagnosis = RARE_X.includes(f[0]!) ? 'rare-x' : RARE_Y.includes(f[0]!) ? 'rare-y' : 'none';
      return `${f.join('\t')}\t${20 + ((i * 37) % 70)}\t${diagnosis}`;
    }),
  ].join('\n');
  const phenoShares = splitPhenotypes(table, sites.length, assignment);
  const samples: Record<string, string[]> = {};
  const reference: Record<string, ReferenceCounts> = {};
  const children = new Children(dir, [CLI]);
  await mkdir(join(dir, 'shares'), { recursive: true });
  for (const [i, site] of sites.entries()) {
    const vcf = join(dir, 'shares', `${site}.vcf`);
    const pheno = join(dir, 'shares', `${site}.tsv`);
    await writeFile(vcf, `${shareLines[i]!.join('\n')}\n`);
    await writeFile(pheno, phenoShares[i]!);
    samples[site] = ids.filter((id) => assignment.get(id) === i);
    const ref = new ReferenceCounts();
    for (const l of shareLines[i]!) if (!l.startsWith('#')) ref.addLine(l);
    reference[site] = ref;
  }
  // Two ingests at a time (2 cores), as a hospital would run it: the real CLI.
  for (let i = 0; i < sites.length; i += 2) {
    await Promise.all(sites.slice(i, i + 2).map(async (site) => {
      const c = children.start(`ingest-${site}`, ['node', 'ingest', '--store', layout.siteStores[site]!, '--vcf', join(dir, 'shares', `${site}.vcf`), '--phenotypes', join(dir, 'shares', `${site}.tsv`), '--schema', layout.rosterFile, '--raw-ids']);
      const code = await c.exited;
      if (code !== 0) throw new Error(`ingest at ${site} exited ${code} (see ${dir}/ingest-${site}.log)`);
    }));
  }
  const ports: Record<string, number> = {};
  const nodes: Record<string, Child> = {};
  const start = async (site: string): Promise<number> => {
    const c = children.start(`node-${site}-${Date.now()}`, ['node', 'serve', '--config', layout.siteConfigs[site]!]);
    const m = await c.waitForLine(/listening grpc (\S+)/, 60_000);
    nodes[site] = c;
    ports[site] = parseHostPort(m[1]!).port;
    return ports[site]!;
  };
  const stop = async (site: string): Promise<void> => {
    const c = nodes[site];
    if (!c) return;
    c.process.kill('SIGTERM');
    await c.exited;
    delete nodes[site];
  };
  await Promise.all(sites.map(start));
  return {
    dir, layout, sites, samples, reference, ports, children, nodes, start, stop,
    async close() {
      await children.stopAll();
    },
  };
}
