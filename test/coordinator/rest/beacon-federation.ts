/**
 * Test harness (not a test): the Beacon suites' real federation - the 1000
 * Genomes chr1 window split by sample into 3 sites (each share keeps only
 * its records with an ALT allele), the 1000G panel as phenotypes under the
 * panel schema - and bcftools on the unsplit VCF for the expected carrier
 * counts. Needs bcftools.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { sh } from '../federation/bcftools-reference.js';
import { startConsortium, type Consortium, type ConsortiumOptions } from '../federation/consortium.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
export const BEACON_VCF = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
export const BEACON_SITES = ['a', 'b', 'c'];

export interface BeaconFederation {
  readonly c: Consortium;
  /** The test's own folder (sample lists for bcftools). */
  readonly dir: string;
  /** Samples whose [super_pop, gender] satisfies `pred`, written to `<name>.samples` for bcftools -S. */
  sampleFile(name: string, pred: (p: [string, string]) => boolean): string;
  /** Individuals among `samples` carrying an ALT allele of the records bcftools selects (`-r`, optional `-i` on the split records). */
  carriers(samples: string, region: string, include?: string): number;
  close(): Promise<void>;
}

/** The consortium over the split window; `o` adds node settings (e.g. DP on). */
export async function startBeaconFederation(o: Pick<ConsortiumOptions, 'privacy' | 'nodeConfig'> = {}): Promise<BeaconFederation> {
  const dir = await mkdtemp(join(tmpdir(), 'genofed-beacon-'));
  /** sample -> [super_pop, gender] */
  const people = new Map<string, [string, string]>();
  const samples = sh(`bcftools query -l '${BEACON_VCF}'`).split('\n').filter(Boolean);
  const inVcf = new Set(samples);
  const lines = ['sample\tpop\tsuper_pop\tgender'];
  for (const [s, pop, sp, gender] of readFileSync(PANEL, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'))) {
    if (!inVcf.has(s!)) continue;
    people.set(s!, [sp!, gender!]);
    lines.push(`${s}\t${pop}\t${sp}\t${gender}`);
  }
  const table = join(dir, 'panel.tsv');
  writeFileSync(table, `${lines.join('\n')}\n`);
  const third = Math.ceil(samples.length / 3);
  const shares = BEACON_SITES.map((s, i) => {
    const list = join(dir, `${s}.share`);
    writeFileSync(list, samples.slice(i * third, (i + 1) * third).join('\n') + '\n');
    const out = join(dir, `${s}.vcf.gz`);
    sh(`bcftools view --no-version -S '${list}' --min-ac 1 -Oz -o '${out}' '${BEACON_VCF}' && bcftools index -t '${out}'`);
    return out;
  });
  const c = await startConsortium({
    sites: BEACON_SITES, vcfs: Object.fromEntries(BEACON_SITES.map((s, i) => [s, [shares[i]!]])), phenotypes: Object.fromEntries(BEACON_SITES.map((s) => [s, table])),
    schema: parsePhenotypeSchema(JSON.parse(readFileSync(join(FIXTURES, 'panel', 'panel.schema.json'), 'utf8'))),
    ...o,
  });
  return {
    c,
    dir,
    sampleFile(name, pred) {
      const file = join(dir, `${name}.samples`);
      writeFileSync(file, `${[...people].filter(([, p]) => pred(p)).map(([s]) => s).join('\n')}\n`);
      return file;
    },
    carriers(list, region, include) {
      const select = include ? ` | bcftools view --no-version -i '${include}'` : '';
      const out = sh(`bcftools view --no-version -S '${list}' -r '${region}' '${BEACON_VCF}' | bcftools norm --no-version -m -any${select} | bcftools query -i 'GT="alt"' -f '[%SAMPLE\\n]'`);
      return new Set(out.split('\n').filter(Boolean)).size;
    },
    async close() {
      await c.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
